"""Usage alerts: each threshold of a limit fires once per period and metric.

Firing writes a `UsageAlert` (unique per account, metric, period start and
threshold, so a second evaluation, even a concurrent one, fires nothing), an
audit entry and the outbox event `billing.usage.threshold_reached`; the email
to the billing contacts is sent by that event's handler (invoicing/usage_emails.py)
and the console shows open alerts as a banner.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from billing import clock
from billing.audit import audit_record
from billing.models import LIVE_STATUSES, BillableMetric, Subscription
from billing.outbox import event_record
from billing.transitions import row_lock
from metering.models import UsageAlert
from metering.quotas import limits

logger = logging.getLogger(__name__)
EVENT_TYPE = "billing.usage.threshold_reached"


@transaction.atomic
def usage_alert_fire(*, account_id: int, metric: BillableMetric, entitlement, threshold_percent: int,
                     usage: Decimal) -> UsageAlert | None:
    """Record that a threshold was reached; None when it already fired this period."""
    try:
        with transaction.atomic():
            alert = UsageAlert.objects.create(
                account_id=account_id, metric=metric, period_start=entitlement.period_start,
                period_end=entitlement.period_end, threshold_percent=threshold_percent, usage=usage,
                limit=entitlement.included, fired_at=clock.now())
    except IntegrityError:
        return None
    payload = {"account_id": account_id, "metric": metric.code, "threshold_percent": threshold_percent,
               "usage": str(usage), "limit": entitlement.included, "cap_mode": entitlement.cap_mode,
               "period_start": entitlement.period_start, "period_end": entitlement.period_end,
               "alert_id": alert.pk}
    audit_record(action="usage_alert.fired", instance=alert, after=payload)
    event_record(type=EVENT_TYPE, account_id=account_id, payload=payload)
    return alert


def usage_alerts_evaluate(*, account_id: int | None = None) -> int:
    """Fire every threshold reached and not yet fired, for one account or all with a live subscription.

    Safe to run twice and to kill halfway: each alert is its own transaction and fires once.
    """
    from metering.services.quotas import period_usage

    if account_id is None:
        account_ids = sorted(set(Subscription.objects.filter(status__in=LIVE_STATUSES)
                                 .values_list("account_id", flat=True)))
    else:
        account_ids = [account_id]
    fired = 0
    now = clock.now()
    metrics = {}
    for current in account_ids:
        for entitlement in limits.entitlements(current, now):
            if entitlement.included <= 0 or not entitlement.alert_thresholds:
                continue
            metric = metrics.get(entitlement.metric_code) or BillableMetric.objects.filter(
                code=entitlement.metric_code).first()
            if metric is None:
                continue
            metrics[metric.code] = metric
            usage = period_usage(metric, current, entitlement.period_start, entitlement.period_end)
            for threshold in sorted(entitlement.alert_thresholds):
                if usage * 100 < Decimal(threshold) * entitlement.included:
                    break
                if usage_alert_fire(account_id=current, metric=metric, entitlement=entitlement,
                                    threshold_percent=threshold, usage=usage):
                    fired += 1
    return fired


@transaction.atomic
def usage_alert_dismiss(*, alert: UsageAlert) -> UsageAlert:
    alert = row_lock(UsageAlert, alert)
    if alert.dismissed_at is None:
        alert.dismissed_at = clock.now()
        alert.save(update_fields=["dismissed_at"])
        audit_record(action="usage_alert.dismissed", instance=alert, after={"dismissed_at": alert.dismissed_at})
    return alert
