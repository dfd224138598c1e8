"""Reconciliation after a lost dispute: the card network's reversal is not a refund at Stripe (the charge
stays `succeeded`, amount_refunded 0), so our reversed payment must not be reported as a status mismatch."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import tenancy
from payments.models import Discrepancy, Payment
from payments.services.charging import payment_collect
from payments.services.disputes import dispute_record
from payments.services.reconciliation import reconciliation_run_start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("dispute_amount, local_status", [(8000, "refunded"), (3000, "partially_refunded")])
def test_a_lost_dispute_is_not_a_discrepancy(flush_stripe, make_account, customer_card, open_invoice,
                                             stripe_shapes, dispute_amount, local_status):
    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "80.00")
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
        for status in ("needs_response", "lost"):
            dispute_record(payment=payment, dispute={
                **stripe_shapes["dispute"], "id": "dp_lost_1", "charge": payment.gateway_charge_id,
                "payment_intent": payment.gateway_payment_id, "amount": dispute_amount, "currency": "usd",
                "status": status})
        assert Payment.objects.get(pk=payment.pk).status == local_status
        now = timezone.now()
        run = reconciliation_run_start(window_start=now - timedelta(minutes=30), window_end=now + timedelta(minutes=1))
        found = [(d.kind, d.local_status, d.gateway_status) for d in Discrepancy.objects.filter(run=run)]
    assert (run.status, run.charges_seen) == ("completed", 1)
    assert found == []
