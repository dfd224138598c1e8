"""Invoicing's metrics on /metrics: finalizing an invoice moves billing_invoices_generated_total{status}
once its event is delivered (once, however often); a bill-run failure moves billing_bill_run_failures_total;
the beat job's refresh shows invoice aging (amount due by days past due) and the collection rate."""

from datetime import timedelta

import pytest
from django.db import transaction

from billing import clock, tenancy
from billing.models import OutboxEvent
from billing.outbox import event_record, outbox_deliver_batch
from billing.tasks import metrics_refresh
from invoicing.metrics import age_of
from invoicing.models import Invoice
from invoicing.services import invoice_finalize, invoice_mark_paid
from tests.helpers import metric_value, metrics_scraped
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


def deliver():
    with tenancy.operator_scope():
        outbox_deliver_batch()


def finalized(account, amount="100.00", currency="USD"):
    with tenancy.operator_scope():
        return invoice_finalize(invoice=draft(account, ("Plan", 1, amount), currency=currency))


def test_a_finalized_invoice_is_counted_once_by_the_status_it_was_issued_in(make_account):
    before = metric_value(metrics_scraped(), "billing_invoices_generated_total", status="open")
    finalized(make_account())
    deliver()
    with tenancy.operator_scope():  # delivered again: a worker died before marking it delivered
        OutboxEvent.objects.filter(type="billing.invoice.finalized").update(status="pending")
    deliver()
    assert metric_value(metrics_scraped(), "billing_invoices_generated_total", status="open") == before + 1


def test_a_bill_run_failure_is_counted(db):
    before = metric_value(metrics_scraped(), "billing_bill_run_failures_total")
    with tenancy.operator_scope(), transaction.atomic():
        event_record(type="billing.bill_run.subscription_failed", account_id=None, payload={
            "failure_id": 1, "subscription_id": 1, "attempt": 2, "gave_up": False})
    deliver()
    assert metric_value(metrics_scraped(), "billing_bill_run_failures_total") == before + 1


def test_invoice_aging_and_the_collection_rate_come_from_the_refresh(make_account):
    account = make_account()
    today = clock.now().date()
    due = {finalized(account, "100.00").pk: today - timedelta(days=45),  # open, 45 days late
           finalized(account, "300.00").pk: today - timedelta(days=5),  # open, 5 days late
           finalized(account, "50.00").pk: today + timedelta(days=10)}  # open, not due yet
    paid = finalized(account, "100.00")
    due[paid.pk] = today - timedelta(days=3)
    with tenancy.operator_scope():
        invoice_mark_paid(invoice=paid, reference="bank transfer")
        for pk, day in due.items():
            Invoice.objects.filter(pk=pk).update(due_date=day)  # arrange the due dates

    metrics_refresh.apply()
    scraped = metrics_scraped()

    def outstanding(age):
        return metric_value(scraped, "billing_invoices_outstanding_amount", currency="USD", age=age)

    assert (outstanding("31_60"), outstanding("1_30"), outstanding("current")) == (100.0, 300.0, 50.0)
    # Due in the last 30 days: 300.00 open and 100.00 paid.
    assert metric_value(scraped, "billing_collection_rate", currency="USD") == 0.25


def test_ages_are_days_past_the_due_date():
    assert [age_of(days) for days in (-3, 0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "current", "1_30", "1_30", "31_60", "31_60", "61_90", "61_90", "over_90"]
