"""Payments move billing_payments_processed_total{status,provider} and billing_payment_failures_total
{failure_code} on /metrics once their outbox events are delivered, once per event however often the
outbox delivers it; a reconciliation alert moves billing_reconciliation_alerts_total."""

import pytest

from billing import tenancy
from billing.models import OutboxEvent
from billing.outbox import event_record, outbox_deliver_batch
from payments.services.charging import payment_collect
from tests.helpers import metric_value, metrics_scraped

pytestmark = pytest.mark.django_db


def deliver():
    with tenancy.operator_scope():
        outbox_deliver_batch()


def deliver_again(event_type: str):
    """The outbox delivering an event a second time (a worker died before marking it delivered)."""
    with tenancy.operator_scope():
        OutboxEvent.objects.filter(type=event_type).update(status="pending")
    deliver()


def test_a_payment_and_a_declined_one_are_counted_once_each(make_account, customer_card, open_invoice):
    paying, declining = make_account("Paying"), make_account("Declining")
    customer_card(paying)
    customer_card(declining, "4000000000000341")  # attaches fine, declines on charge
    invoices = [open_invoice(paying), open_invoice(declining)]
    before = metrics_scraped()

    with tenancy.operator_scope():
        for invoice in invoices:
            payment_collect(invoice_id=invoice.pk)
    deliver()
    deliver_again("billing.payment.failed")
    deliver_again("billing.payment.succeeded")
    after = metrics_scraped()

    def moved(name, **labels):
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    assert moved("billing_payments_processed_total", status="succeeded", provider="stripe") == 1
    assert moved("billing_payments_processed_total", status="failed", provider="stripe") == 1
    assert moved("billing_payment_failures_total", failure_code="card_declined") == 1


def test_a_reconciliation_alert_is_counted(db):
    before = metric_value(metrics_scraped(), "billing_reconciliation_alerts_total")
    with tenancy.operator_scope():
        from django.db import transaction

        with transaction.atomic():
            event_record(type="billing.reconciliation.alert", account_id=None, payload={
                "run_id": 1, "discrepancy_count": 3, "total_discrepancy": 250_000, "currency": "USD"})
    deliver()
    assert metric_value(metrics_scraped(), "billing_reconciliation_alerts_total") == before + 1
