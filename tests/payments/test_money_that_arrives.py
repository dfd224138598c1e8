"""Money that arrives is applied predictably: to its invoice, then the oldest open invoices, the rest credit;
money for an invoice already paid becomes credit and finance is told; nothing is applied twice."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.errors import ValidationFailed
from billing.selectors import credit_balance
from invoicing.balance import account_balance
from invoicing.models import CollectionMethod, Invoice, InvoicePayment
from invoicing.services import invoice_finalize, invoice_mark_paid
from invoicing.services.money_in import account_payment_receive, payment_allocate
from payments.gateways import ChargeResult
from payments.gateways import PaymentStatus as Outcome
from payments.models import Payment
from payments.services.charging import payment_apply_result
from payments.services.ledger import ledger_differences
from tests.invoicing.factories import draft

from .conftest import outbox_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("Acme")


def transfer_invoice(account, amount: str, *, days_ago: int = 0) -> Invoice:
    """A finalized send_invoice (bank transfer) invoice, issued `days_ago` days before the billing clock."""
    with clock.frozen(clock.now() - timedelta(days=days_ago)):
        invoice = draft(account, ("Plan", 1, amount), collection_method=CollectionMethod.SEND_INVOICE)
        return invoice_finalize(invoice=invoice)


def fresh(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_a_partial_payment_goes_to_the_oldest_open_invoice_first(account, operator):
    newer = transfer_invoice(account, "50.00", days_ago=1)
    older = transfer_invoice(account, "100.00", days_ago=40)
    account_payment_receive(account_id=account.pk, currency="USD", amount=6000, reference="wire-1")
    assert (fresh(older).status, fresh(older).amount_due) == ("open", 4000)
    assert (fresh(newer).status, fresh(newer).amount_due) == ("open", 5000)
    allocation = account_payment_receive(account_id=account.pk, currency="usd", amount=7000, reference="wire-2")
    assert allocation.applied == [(older.pk, 4000), (newer.pk, 3000)] and allocation.credited == 0
    assert (fresh(older).status, fresh(newer).amount_due) == ("paid", 2000)
    assert account_balance(account_id=account.pk)["USD"].due == 2000
    assert ledger_differences(account_id=account.pk) == []


def test_an_overpayment_pays_everything_due_and_the_rest_becomes_credit(account, operator):
    invoice = transfer_invoice(account, "100.00")
    allocation = account_payment_receive(account_id=account.pk, currency="USD", amount=12500, reference="wire-3")
    assert allocation.applied == [(invoice.pk, 10000)] and allocation.credited == 2500
    assert fresh(invoice).status == "paid"
    assert credit_balance(account_id=account.pk) == {"USD": 2500}
    balance = account_balance(account_id=account.pk)["USD"]
    assert (balance.due, balance.credit, balance.net) == (0, 2500, -2500)
    # The next invoice draws on that credit at finalization.
    following = transfer_invoice(account, "30.00")
    assert (following.credit_applied, following.amount_due) == (2500, 500)
    assert ledger_differences(account_id=account.pk) == []


def test_the_same_money_twice_is_applied_once(account, operator):
    invoice = transfer_invoice(account, "100.00")
    first = payment_allocate(account_id=account.pk, currency="USD", amount=15000, reference="wire-4",
                             source="out_of_band", invoice_id=invoice.pk)
    again = payment_allocate(account_id=account.pk, currency="USD", amount=15000, reference="wire-4",
                             source="out_of_band", invoice_id=invoice.pk)
    assert (first.replayed, again.replayed) == (False, True)
    assert (again.applied, again.credited) == ([(invoice.pk, 10000)], 5000)
    assert InvoicePayment.objects.filter(reference="wire-4").count() == 1
    assert credit_balance(account_id=account.pk) == {"USD": 5000}


@pytest.mark.parametrize(("amount", "reference", "field"), [(0, "wire-5", "amount"), (True, "wire-5", "amount"),
                                                            (100, "  ", "reference")])
def test_a_transfer_without_an_amount_or_a_reference_is_refused_by_name(account, operator, amount, reference,
                                                                         field):
    with pytest.raises(ValidationFailed) as refused:
        account_payment_receive(account_id=account.pk, currency="USD", amount=amount, reference=reference)
    assert field in refused.value.fields


def test_a_payment_for_an_invoice_already_paid_becomes_credit_and_finance_is_told(account, settings, mailoutbox):
    from billing.outbox import outbox_deliver_batch

    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    with tenancy.operator_scope():
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "80.00")))
        # A charge in flight (its answer comes late, by webhook) while finance records a bank transfer.
        payment = Payment.objects.create(account=account, invoice=invoice, amount=8000, currency="USD",
                                         gateway="manual", reference=f"invoice:{invoice.pk}:attempt:1", attempt=1,
                                         created_at=clock.now())
        invoice_mark_paid(invoice=invoice, reference="TRANSFER-9")
        payment_apply_result(payment=payment, result=ChargeResult(status=Outcome.SUCCEEDED, payment_id="pi_late"))
        payment.refresh_from_db()
        assert payment.status == "succeeded" and "credit balance" in payment.unapplied_reason
        assert fresh(invoice).amount_paid == 8000  # the transfer only
        assert credit_balance(account_id=account.pk) == {"USD": 8000}
        assert ledger_differences(account_id=account.pk) == []
        outbox_deliver_batch()
    unapplied, = outbox_events("billing.payment.unapplied")
    assert unapplied.payload["credited"] == 8000
    alert, = [m for m in mailoutbox if m.to == ["finance@example.com"]]
    assert "$80.00" in alert.body and "credit balance" in alert.body


def test_a_payment_larger_than_what_is_left_due_pays_the_rest_and_credits_the_difference(account, operator):
    from invoicing.services import credit_note_create

    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00")))
    payment = Payment.objects.create(account=account, invoice=invoice, amount=10000, currency="USD",
                                     gateway="manual", reference=f"invoice:{invoice.pk}:attempt:1", attempt=1,
                                     created_at=clock.now())
    credit_note_create(invoice=invoice, reason="Discount agreed", amount=3000)  # while the charge was in flight
    payment_apply_result(payment=payment, result=ChargeResult(status=Outcome.SUCCEEDED, payment_id="pi_over"))
    payment.refresh_from_db()
    assert payment.unapplied_reason == ""  # it paid its invoice: an overpayment, not a misdirected payment
    assert (fresh(invoice).status, fresh(invoice).amount_paid) == ("paid", 7000)
    assert credit_balance(account_id=account.pk) == {"USD": 3000}
    assert ledger_differences(account_id=account.pk) == []
