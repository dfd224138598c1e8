"""Payments' metrics: payments processed and failed (counted from outbox events, once per event),
reconciliation alerts, and the open reconciliation discrepancies (refreshed by the beat job)."""

from __future__ import annotations

from billing.metric_store import Counter, Gauge, counts_once, refresher
from billing.models import OutboxEvent
from billing.outbox import handler

PAYMENTS_PROCESSED = Counter("billing_payments_processed_total",
                             "Payments that reached an outcome, by status (succeeded, failed, canceled) and "
                             "provider (the gateway; none: a dunning retry with no payment method)",
                             ["status", "provider"])
PAYMENT_FAILURES = Counter("billing_payment_failures_total",
                           "Failed or canceled payments, by failure code (the gateway's decline code, or ours)",
                           ["failure_code"])
RECONCILIATION_ALERTS = Counter("billing_reconciliation_alerts_total",
                                "Reconciliation runs whose discrepancies exceeded RECONCILIATION_ALERT_THRESHOLD")
DISCREPANCIES_OPEN = Gauge("billing_reconciliation_open_discrepancies",
                           "Reconciliation discrepancies finance has not resolved yet")


@handler("billing.payment.succeeded")
def count_payment_succeeded(event: OutboxEvent) -> None:
    PAYMENTS_PROCESSED.inc_once(f"payment:{event.pk}", status="succeeded",
                                provider=event.payload.get("gateway") or "none")


@handler("billing.payment.failed")
def count_payment_failed(event: OutboxEvent) -> None:
    payload = event.payload
    status = payload.get("status") if payload.get("status") in ("failed", "canceled") else "failed"
    counts_once(f"payment:{event.pk}", [
        (PAYMENTS_PROCESSED, {"status": status, "provider": payload.get("gateway") or "none"}, 1),
        (PAYMENT_FAILURES, {"failure_code": (payload.get("failure_code") or "unknown")[:64]}, 1),
    ])


@handler("billing.reconciliation.alert")
def count_reconciliation_alert(event: OutboxEvent) -> None:
    RECONCILIATION_ALERTS.inc_once(f"reconciliation-alert:{event.pk}")


@refresher
def payments_gauges() -> dict:
    from payments.models import Discrepancy, DiscrepancyResolution

    return {DISCREPANCIES_OPEN: {(): Discrepancy.objects.filter(resolution=DiscrepancyResolution.OPEN).count()}}
