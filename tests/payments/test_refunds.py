"""Refunds: full and partial, limits, from a credit note, and refunds made in the Stripe dashboard."""

import pytest

from billing import tenancy
from billing.errors import InvalidTransition, ValidationFailed
from payments.models import Payment, Refund
from payments.services.charging import payment_collect
from payments.services.refunds import refund_create

from .conftest import make_event, outbox_events, signed_post

pytestmark = pytest.mark.django_db


def refreshed(payment):
    with tenancy.operator_scope():
        return Payment.objects.get(pk=payment.pk)


def test_a_partial_then_the_remaining_refund(paid, stripe_client):
    payment = paid("100.00")
    with tenancy.operator_scope():
        first = refund_create(payment=payment, amount=2500, reason="Goodwill")
    assert (first.status, first.gateway_refund_id[:3]) == ("succeeded", "re_")
    assert (refreshed(payment).status, refreshed(payment).amount_refunded) == ("partially_refunded", 2500)
    with tenancy.operator_scope():
        rest = refund_create(payment=refreshed(payment))
    assert rest.amount == 7500
    assert (refreshed(payment).status, refreshed(payment).amount_refunded) == ("refunded", 10000)
    remote = stripe_client.v1.refunds.list(params={"payment_intent": payment.gateway_payment_id}).data
    assert sorted(r.amount for r in remote) == [2500, 7500]
    assert [e.payload["refund_amount"] for e in outbox_events("billing.payment.refunded")] == [2500, 7500]


def test_refunding_more_than_is_left_or_a_failed_payment_is_refused(paid, make_account, customer_card,
                                                                    open_invoice):
    payment = paid("10.00")
    with tenancy.operator_scope(), pytest.raises(ValidationFailed) as error:
        refund_create(payment=payment, amount=1001)
    assert "amount" in error.value.fields
    with tenancy.operator_scope(), pytest.raises(ValidationFailed):
        refund_create(payment=payment, amount=0)
    account = make_account("Declined")
    customer_card(account, "4000000000000341")
    with tenancy.operator_scope():
        failed = payment_collect(invoice_id=open_invoice(account).pk)
        with pytest.raises(InvalidTransition):
            refund_create(payment=failed, amount=100)


def test_the_same_reference_refunds_once(paid, stripe_client):
    payment = paid()
    with tenancy.operator_scope():
        one = refund_create(payment=payment, amount=100, reference="support:ticket-991")
        two = refund_create(payment=refreshed(payment), amount=100, reference="support:ticket-991")
    assert one.pk == two.pk
    assert len(stripe_client.v1.refunds.list(params={"payment_intent": payment.gateway_payment_id}).data) == 1


def test_a_refund_credit_note_is_paid_back(paid, django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch
    from invoicing.services import credit_note_create

    payment = paid("50.00")
    with tenancy.operator_scope():
        note = credit_note_create(invoice=payment.invoice, reason="Service outage", amount=2000,
                                  credit_method="refund")
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()
        refund = Refund.objects.get(credit_note_id=note.pk)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()  # a replayed event refunds nothing more
        assert Refund.objects.filter(payment=payment).count() == 1
    assert (refund.amount, refund.status) == (2000, "succeeded")
    assert refreshed(payment).amount_refunded == 2000


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_from_the_webhook(paid, stripe_client, stripe_shapes,
                                                                           client, django_capture_on_commit_callbacks):
    payment = paid("30.00")
    stripe_client.v1.refunds.create(params={"payment_intent": payment.gateway_payment_id, "amount": 1000})
    charge = {**stripe_shapes["charge"], "id": payment.gateway_charge_id, "payment_intent": payment.gateway_payment_id,
              "refunded": False, "amount_refunded": 1000}
    event = make_event(stripe_shapes, "charge.refunded", charge)
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, event).status_code == 200
        assert signed_post(client, event).json()["duplicate"] is True
    assert (refreshed(payment).status, refreshed(payment).amount_refunded) == ("partially_refunded", 1000)
    with tenancy.operator_scope():
        assert Refund.objects.filter(payment=payment).count() == 1
