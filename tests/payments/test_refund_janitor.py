"""The refund janitor: a refund whose answer was lost is looked up at the gateway before being sent again,
so it is never made twice (Stripe forgets idempotency keys after 24 hours)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import tenancy
from billing.models import OutboxEvent
from billing.outbox import outbox_deliver_batch
from payments.gateways import RefundRequest
from payments.models import Payment, Refund
from payments.services.charging import payment_collect
from payments.services.refunds import _refund_open, refunds_pending_resend

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(make_account, customer_card, open_invoice):
    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "40.00")
    with tenancy.operator_scope():
        return payment_collect(invoice_id=invoice.pk)


def _lost_answer_refund(payment, stripe_gateway, age):
    """Stripe made the refund under our reference, then our process died before saving the answer."""
    with tenancy.operator_scope():
        refund = _refund_open(payment=payment, amount=1500, reason="", reference=None, credit_note_id=None)
        stripe_gateway.refund(RefundRequest(reference=refund.reference, payment_id=payment.gateway_payment_id,
                                            amount=1500, metadata={"refund_id": str(refund.pk)}))
        Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - age)
    return refund


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(hours=25)])
def test_a_refund_whose_answer_was_lost_is_found_not_made_again(paid, stripe_gateway, stripe_client, age):
    refund = _lost_answer_refund(paid, stripe_gateway, age)
    with tenancy.operator_scope():
        refunds_pending_resend()
        refunds_pending_resend()
        refund = Refund.objects.get(pk=refund.pk)
        payment = Payment.objects.get(pk=paid.pk)
    remote = stripe_client.v1.refunds.list(params={"payment_intent": paid.gateway_payment_id}).data
    assert [r.amount for r in remote] == [1500]
    assert (refund.status, refund.gateway_refund_id) == ("succeeded", remote[0].id)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 1500)


def test_a_refund_never_sent_is_sent_by_the_janitor(paid, stripe_client):
    with tenancy.operator_scope():
        refund = _refund_open(payment=paid, amount=700, reason="", reference=None, credit_note_id=None)
        Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=6))
        refunds_pending_resend()
        refund = Refund.objects.get(pk=refund.pk)
    remote = stripe_client.v1.refunds.list(params={"payment_intent": paid.gateway_payment_id}).data
    assert [r.amount for r in remote] == [700]
    assert refund.status == "succeeded"


def test_a_refund_never_sent_within_a_day_fails_instead_of_going_out_unkeyed(paid, stripe_client, settings,
                                                                            mailoutbox):
    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    with tenancy.operator_scope():
        refund = _refund_open(payment=paid, amount=700, reason="", reference=None, credit_note_id=None)
        Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(hours=25))
        refunds_pending_resend()
        refund = Refund.objects.get(pk=refund.pk)
        payment = Payment.objects.get(pk=paid.pk)
    assert stripe_client.v1.refunds.list(params={"payment_intent": paid.gateway_payment_id}).data == []
    assert refund.status == "failed"
    assert payment.amount_refunded == 0
    # The customer is still owed the money: an event for integrations, and finance is told.
    with tenancy.operator_scope():
        failed, = OutboxEvent.objects.filter(type="billing.refund.failed")
        outbox_deliver_batch()
    assert (failed.payload["refund_id"], failed.payload["amount"]) == (refund.pk, 700)
    mail, = [m for m in mailoutbox if m.to == ["finance@example.com"]]
    assert "refund of $7.00 failed" in mail.subject
    assert "never reached the payment processor" in mail.body
