"""Demo usage for `make run`: some usage on every limited metric of each live subscription."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from billing import clock
from billing.models import LIVE_STATUSES, BillableMetric, Subscription
from metering.ingest.decode import EventIn
from metering.quotas import limits
from metering.services.alerts import usage_alerts_evaluate
from metering.services.ingestion import usage_events_record

MAX_EVENTS = 500
SHARES = (0.55, 0.85, 1.1)  # of the limit, by metric in turn: below, above the first alert, over


def usage_demo_load() -> int:
    """Idempotent (fixed idempotency keys): run again, nothing is counted twice. Operator scope."""
    now = clock.now()
    stored = 0
    accounts = sorted(set(Subscription.objects.filter(status__in=LIVE_STATUSES).values_list("account_id", flat=True)))
    for account_id in accounts:
        for n, entitlement in enumerate(limits.entitlements(account_id, now)):
            metric = BillableMetric.objects.filter(code=entitlement.metric_code).first()
            if metric is None or entitlement.included <= 0 or metric.aggregation not in ("count", "sum"):
                continue
            target = Decimal(entitlement.included) * Decimal(str(SHARES[n % len(SHARES)]))
            events = min(MAX_EVENTS, int(target)) if metric.aggregation == "count" else MAX_EVENTS // 5
            if events <= 0:
                continue
            each = (target / events).quantize(Decimal("0.000001"))
            elapsed = max(now - entitlement.period_start, timedelta(minutes=1))
            batch = []
            for i in range(events):
                at = entitlement.period_start + elapsed * (i + 1) / (events + 1)
                properties = {metric.field_name: str(each)} if metric.field_name else {}
                batch.append(EventIn(metric=metric.code, idempotency_key=f"demo-{metric.code}-{i}", timestamp=at,
                                     value=each if metric.aggregation == "sum" and not metric.field_name else None,
                                     properties=properties, account_id=account_id))
            stored += usage_events_record(events=batch).accepted
    usage_alerts_evaluate()
    return stored
