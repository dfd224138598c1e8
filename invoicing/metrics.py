"""Invoicing's metrics: invoices generated and subscriptions the bill run could not bill (counted from
outbox events, once per event), invoice aging and the collection rate (refreshed by the beat job)."""

from __future__ import annotations

from datetime import timedelta

from billing.metric_store import Counter, Gauge, refresher
from billing.models import OutboxEvent
from billing.outbox import handler

INVOICES_GENERATED = Counter("billing_invoices_generated_total",
                             "Invoices finalized (numbered and issued), by the status they were issued in",
                             ["status"])
BILL_RUN_FAILURES = Counter("billing_bill_run_failures_total",
                            "Times the bill run failed to bill a subscription's period (each attempt)")
BILL_RUN_FAILURES_OPEN = Gauge("billing_bill_run_failures_unresolved",
                               "Subscription periods the bill run failed to bill and that are still unbilled")
INVOICES_OUTSTANDING = Gauge("billing_invoices_outstanding_amount",
                             "Amount due on open invoices in major units, by days past the due date "
                             "(current, 1_30, 31_60, 61_90, over_90)", ["currency", "age"])
COLLECTION_RATE = Gauge("billing_collection_rate",
                        "Of the invoices that fell due in the last 30 days (not void), the share of their "
                        "total that has been paid or credited", ["currency"])

AGES = ((0, "current"), (30, "1_30"), (60, "31_60"), (90, "61_90"))
COLLECTION_WINDOW = timedelta(days=30)


@handler("billing.invoice.finalized")
def count_invoice_generated(event: OutboxEvent) -> None:
    INVOICES_GENERATED.inc_once(f"invoice-generated:{event.pk}", status=event.payload.get("status") or "unknown")


@handler("billing.bill_run.subscription_failed")
def count_bill_run_failure(event: OutboxEvent) -> None:
    BILL_RUN_FAILURES.inc_once(f"bill-run-failure:{event.pk}")


def age_of(days_past_due: int) -> str:
    for limit, name in AGES:
        if days_past_due <= limit:
            return name
    return "over_90"


@refresher
def invoicing_gauges() -> dict:
    from collections import defaultdict

    from django.db.models import Sum

    from billing import clock
    from invoicing.models import BillRunFailure, Invoice, InvoiceStatus
    from pricing.money import to_major

    today = clock.now().date()
    outstanding: dict[tuple, int] = defaultdict(int)
    for currency, due_date, amount in (Invoice.objects.filter(status=InvoiceStatus.OPEN)
                                       .values_list("currency", "due_date").annotate(Sum("amount_due"))):
        days = (today - due_date).days if due_date else 0
        outstanding[(currency, age_of(days))] += amount or 0
    rates = {}
    fell_due = (Invoice.objects.filter(due_date__gt=today - COLLECTION_WINDOW, due_date__lte=today)
                .exclude(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID)).values_list("currency")
                .annotate(Sum("total"), Sum("amount_due")))
    for currency, total, due in fell_due:
        if total:
            rates[(currency,)] = (total - due) / total
    return {
        INVOICES_OUTSTANDING: {key: to_major(amount, key[0]) for key, amount in outstanding.items()},
        COLLECTION_RATE: rates,
        BILL_RUN_FAILURES_OPEN: {(): BillRunFailure.objects.filter(resolved_at__isnull=True).count()},
    }
