"""Disputes arrive only as signed webhooks (localstripe has none): mark, tell finance, reverse on loss."""

import random

import pytest

from billing import tenancy
from payments.models import Dispute, Payment
from payments.services.charging import payment_collect

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
def dispute_event(stripe_shapes, payment):
    def make(event_type, status, dispute_id="dp_test_1", **fields):
        dispute = {**stripe_shapes["dispute"], "id": dispute_id, "charge": payment.gateway_charge_id,
                   "payment_intent": payment.gateway_payment_id, "amount": 8000, "currency": "usd",
                   "status": status, "reason": "fraudulent", **fields}
        return make_event(stripe_shapes, event_type, dispute)

    return make


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def send(event):
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_post(client, event)
        assert response.status_code == 200
        return response

    return send


def state(payment):
    with tenancy.operator_scope():
        return Payment.objects.get(pk=payment.pk), Dispute.objects.filter(payment=payment).first()


def test_a_dispute_marks_the_payment_and_tells_finance(payment, dispute_event, deliver, settings, mailoutbox):
    from billing.outbox import outbox_deliver_batch

    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    deliver(dispute_event("charge.dispute.created", "needs_response"))
    current, dispute = state(payment)
    assert current.status == "disputed"
    assert (dispute.amount, dispute.reason, dispute.outcome) == (8000, "fraudulent", "open")
    assert dispute.evidence_due_by is not None
    created, = outbox_events("billing.dispute.created")
    assert created.payload["gateway_dispute_id"] == "dp_test_1"
    with tenancy.operator_scope():
        outbox_deliver_batch()
    assert any(m.to == ["finance@example.com"] and "Dispute" in m.subject for m in mailoutbox)


def test_a_lost_dispute_reverses_the_payment(payment, dispute_event, deliver):
    deliver(dispute_event("charge.dispute.created", "needs_response"))
    deliver(dispute_event("charge.dispute.closed", "lost"))
    current, dispute = state(payment)
    assert dispute.outcome == "lost" and dispute.closed_at
    assert (current.status, current.amount_refunded) == ("refunded", 8000)
    closed, = outbox_events("billing.dispute.closed")
    assert (closed.payload["outcome"], closed.payload["reversed_amount"]) == ("lost", 8000)


def test_a_won_dispute_restores_the_payment(payment, dispute_event, deliver):
    deliver(dispute_event("charge.dispute.created", "needs_response"))
    deliver(dispute_event("charge.dispute.closed", "won"))
    current, dispute = state(payment)
    assert (current.status, current.amount_refunded, dispute.outcome) == ("succeeded", 0, "won")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_and_duplicated_dispute_events_end_in_the_closed_state(payment, dispute_event, deliver, seed):
    events = [dispute_event("charge.dispute.created", "needs_response"),
              dispute_event("charge.dispute.updated", "under_review"),
              dispute_event("charge.dispute.closed", "lost")]
    shuffled = events + [events[0], events[2]]
    random.Random(seed).shuffle(shuffled)
    for event in shuffled:
        deliver(event)
    current, dispute = state(payment)
    assert (dispute.outcome, current.status, current.amount_refunded) == ("lost", "refunded", 8000)
    with tenancy.operator_scope():
        assert Dispute.objects.filter(payment=payment).count() == 1
    assert len(outbox_events("billing.dispute.closed")) == 1
