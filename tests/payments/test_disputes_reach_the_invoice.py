"""An open dispute marks its invoice disputed; a lost one puts the amount back as due (or writes it off, per
PAYMENTS_DISPUTE_LOST) and the balance shows it; a won one restores the invoice; a replayed webhook does
nothing twice."""

import pytest

from billing import tenancy
from invoicing.balance import account_balance
from invoicing.models import Invoice
from payments.services.charging import payment_collect
from payments.services.ledger import ledger_differences

from .conftest import make_event, outbox_events, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(make_account, customer_card, open_invoice):
    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "80.00")
    with tenancy.operator_scope():
        return payment_collect(invoice_id=invoice.pk)


@pytest.fixture
def dispute(stripe_shapes, payment, client, django_capture_on_commit_callbacks):
    def send(event_type, status, dispute_id="dp_inv_1"):
        body = {**stripe_shapes["dispute"], "id": dispute_id, "charge": payment.gateway_charge_id,
                "payment_intent": payment.gateway_payment_id, "amount": 8000, "currency": "usd", "status": status,
                "reason": "fraudulent"}
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(client, make_event(stripe_shapes, event_type, body)).status_code == 200

    return send


def invoice_and_balance(payment):
    with tenancy.operator_scope():
        invoice = Invoice.objects.get(pk=payment.invoice_id)
        balance = account_balance(account_id=payment.account_id).get("USD")
        assert ledger_differences(account_id=payment.account_id) == []
    return invoice, balance


def test_an_open_dispute_marks_the_invoice_disputed(payment, dispute):
    dispute("charge.dispute.created", "needs_response")
    invoice, balance = invoice_and_balance(payment)
    assert (invoice.status, invoice.amount_due, balance) == ("disputed", 0, None)
    disputed, = outbox_events("billing.invoice.disputed")
    assert disputed.payload["dispute_reference"] == "dp_inv_1"


def test_a_lost_dispute_puts_the_amount_back_as_due(payment, dispute):
    dispute("charge.dispute.created", "needs_response")
    dispute("charge.dispute.closed", "lost")
    dispute("charge.dispute.closed", "lost")  # a second delivery of the same outcome
    invoice, balance = invoice_and_balance(payment)
    assert (invoice.status, invoice.amount_paid, invoice.amount_reversed, invoice.amount_due) == \
        ("open", 8000, 8000, 8000)
    assert (balance.due, balance.net) == (8000, 8000)
    closed, = outbox_events("billing.invoice.dispute_closed")
    assert (closed.payload["outcome"], closed.payload["reversed_amount"]) == ("lost", 8000)


def test_a_lost_dispute_is_written_off_when_so_configured(payment, dispute, settings):
    settings.PAYMENTS_DISPUTE_LOST = "write_off"
    dispute("charge.dispute.created", "needs_response")
    dispute("charge.dispute.closed", "lost")
    invoice, balance = invoice_and_balance(payment)
    assert (invoice.status, invoice.amount_due) == ("uncollectible", 8000)
    assert (balance.due, balance.written_off) == (0, 8000)
    closed, = outbox_events("billing.invoice.dispute_closed")
    assert closed.payload["written_off"] is True


def test_a_won_dispute_restores_the_invoice(payment, dispute):
    dispute("charge.dispute.created", "needs_response")
    dispute("charge.dispute.closed", "won")
    dispute("charge.dispute.created", "needs_response")  # late: a closed dispute never reopens
    invoice, balance = invoice_and_balance(payment)
    assert (invoice.status, invoice.amount_due, invoice.amount_reversed, balance) == ("paid", 0, 0, None)
    assert len(outbox_events("billing.invoice.disputed")) == 1


def test_a_lost_dispute_paid_again_in_the_console_pays_the_invoice(payment, dispute):
    from payments.services.charging import payment_collect as collect

    dispute("charge.dispute.created", "needs_response")
    dispute("charge.dispute.closed", "lost")
    with tenancy.operator_scope():
        again = collect(invoice_id=payment.invoice_id, trigger="console")
    assert (again.status, again.amount) == ("succeeded", 8000)
    invoice, balance = invoice_and_balance(payment)
    assert (invoice.status, invoice.amount_paid, invoice.amount_due, balance) == ("paid", 16000, 0, None)
