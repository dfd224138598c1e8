"""Refunding an invoice payment writes a refund credit note for the amount refunded, so the invoice, its credit
notes, the console and the account's balance agree; a refund the invoice cannot document is refused."""

import pytest

from billing import tenancy
from billing.errors import ValidationFailed
from invoicing.balance import account_balance
from invoicing.models import CreditNote, Invoice
from payments.models import Payment, Refund
from payments.services.ledger import ledger_differences
from payments.services.refunds import refund_create

from .conftest import make_event, outbox_events, signed_post

pytestmark = pytest.mark.django_db


def notes_of(payment) -> list[tuple[int, str]]:
    with tenancy.operator_scope():
        return list(CreditNote.objects.filter(invoice_id=payment.invoice_id).order_by("id")
                    .values_list("total", "credit_method"))


def test_a_full_refund_writes_a_credit_note_and_the_invoice_adds_up(paid, django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch
    from invoicing.selectors_console import invoice_statement
    from invoicing.statement import statement_view

    payment = paid("124.00")
    with tenancy.operator_scope():
        refund = refund_create(payment=payment, reason="Cancelled the order")
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()  # the note's event: nothing more is refunded for it
            outbox_deliver_batch()
        assert Refund.objects.filter(payment=payment).count() == 1
        note = CreditNote.objects.get(invoice_id=payment.invoice_id)
        invoice = Invoice.objects.get(pk=payment.invoice_id)
        statement = statement_view(invoice_statement(invoice_id=invoice.pk, account_id=invoice.account_id),
                                   _display())
        assert ledger_differences(account_id=invoice.account_id) == []
        assert account_balance(account_id=invoice.account_id) == {}
    assert (refund.credit_note_id, refund.status) == (note.pk, "succeeded")
    assert (note.total, note.credit_method, note.reason) == (12400, "refund", "Cancelled the order")
    assert [(s.label, s.amount) for s in statement.steps[-4:]] == [
        ("Credit notes refunded", "−$124.00"), ("Paid", "−$124.00"), ("Refunded to you", "+$124.00"),
        ("Amount due", "$0.00")]
    assert [n["method"] for n in statement.credit_notes] == ["refunded"]
    created, = outbox_events("billing.credit_note.issued")
    refunded, = outbox_events("billing.payment.refunded")
    assert (created.payload["total"], refunded.payload["credit_note_id"]) == (12400, note.pk)


def _display():
    from billing.display import Display

    return Display("en")


def test_a_partial_refund_writes_a_partial_credit_note(paid):
    payment = paid("100.00")
    with tenancy.operator_scope():
        refund_create(payment=payment, amount=2500)
        refund_create(payment=Payment.objects.get(pk=payment.pk), amount=500)
        assert ledger_differences(account_id=payment.account_id) == []
    assert notes_of(payment) == [(2500, "refund"), (500, "refund")]


def test_refunding_more_than_was_paid_is_refused_naming_the_amount(paid):
    payment = paid("10.00")
    with tenancy.operator_scope():
        with pytest.raises(ValidationFailed) as refused:
            refund_create(payment=payment, amount=1001)
        assert "amount" in refused.value.fields
        # Credited to the balance already: the invoice has nothing left a refund's credit note could take off.
        from invoicing.services import credit_note_create

        credit_note_create(invoice=payment.invoice_id, reason="Goodwill", amount=800, credit_method="balance")
        with pytest.raises(ValidationFailed) as refused:
            refund_create(payment=Payment.objects.get(pk=payment.pk), amount=500)
        assert "At most 200" in refused.value.fields["amount"][0]
        assert not Refund.objects.filter(payment=payment).exists()


def test_a_refund_from_a_credit_note_makes_no_second_note(paid, django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch
    from invoicing.services import credit_note_create

    payment = paid("50.00")
    with tenancy.operator_scope():
        note = credit_note_create(invoice=payment.invoice_id, reason="Outage", amount=2000, credit_method="refund")
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()
        assert Refund.objects.get(payment=payment).credit_note_id == note.pk
        assert ledger_differences(account_id=payment.account_id) == []
    assert notes_of(payment) == [(2000, "refund")]


def test_a_refund_made_in_the_stripe_dashboard_gets_its_credit_note_once(
        paid, stripe_client, stripe_shapes, client, django_capture_on_commit_callbacks):
    payment = paid("30.00")
    stripe_client.v1.refunds.create(params={"payment_intent": payment.gateway_payment_id, "amount": 1000})
    charge = {**stripe_shapes["charge"], "id": payment.gateway_charge_id, "payment_intent": payment.gateway_payment_id,
              "refunded": False, "amount_refunded": 1000}
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, make_event(stripe_shapes, "charge.refunded", charge)).status_code == 200
        assert signed_post(client, make_event(stripe_shapes, "charge.refunded", charge)).status_code == 200
    assert notes_of(payment) == [(1000, "refund")]
    with tenancy.operator_scope():
        assert Refund.objects.get(payment=payment).credit_note_id is not None
        assert ledger_differences(account_id=payment.account_id) == []


def test_refunding_a_payment_that_became_credit_draws_the_credit_back(make_account, customer_card, open_invoice):
    """A card payment whose invoice a bank transfer paid first became credit; refunding it takes the credit back
    instead of crediting the invoice a second time."""
    from django.utils import timezone

    from billing.selectors import credit_balance
    from invoicing.services import invoice_mark_paid
    from payments import selectors
    from payments.services.charging import payment_resume

    account = make_account("Twice")
    method = customer_card(account)
    invoice = open_invoice(account, "80.00")
    with tenancy.operator_scope():
        customer = selectors.gateway_customer_live(account_id=account.pk, gateway_name="stripe")
        payment = Payment.objects.create(account=account, invoice=invoice, amount=8000, currency="USD",
                                         gateway="stripe", reference=f"invoice:{invoice.pk}:attempt:9", attempt=9,
                                         payment_method=method, gateway_customer_id=customer.customer_id,
                                         created_at=timezone.now())
        invoice_mark_paid(invoice=invoice, reference="TRANSFER-1")
        payment = payment_resume(payment=payment)
        assert (payment.status, credit_balance(account_id=account.pk)) == ("succeeded", {"USD": 8000})
        with pytest.raises(ValidationFailed):
            refund_create(payment=payment, amount=8001)
        refund = refund_create(payment=payment, amount=3000)
        assert (refund.status, refund.credit_note_id) == ("succeeded", None)
        assert credit_balance(account_id=account.pk) == {"USD": 5000}
        refund_create(payment=Payment.objects.get(pk=payment.pk))
        assert credit_balance(account_id=account.pk) == {}
        assert ledger_differences(account_id=account.pk) == []
    assert notes_of(payment) == []
