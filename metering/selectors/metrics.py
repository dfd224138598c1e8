"""Reads about billable metrics: the catalog list, and what still depends on a metric.

Plans and subscriptions are read in the caller's scope: call these in the operator
scope (the admin, operator API keys, jobs), where every account's rows are visible.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from billing.models import (
    BillableMetric,
    Plan,
    PlanCharge,
    PlanLimit,
    Subscription,
    SubscriptionMetricOverride,
)
from billing.models.subscriptions import SubscriptionStatus
from metering.models import UsageRollup
from metering.storage import EVENTS_TABLE

# A subscription in these is over: nothing of it is billed or metered any more.
ENDED_STATUSES = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)


def metrics_all(*, is_active: bool | None = None) -> QuerySet[BillableMetric]:
    metrics = BillableMetric.objects.all()
    if is_active is not None:
        metrics = metrics.filter(is_active=is_active)
    return metrics


def _versions_using(metric: BillableMetric) -> QuerySet:
    return PlanCharge.objects.filter(metric=metric).values("version_id").union(
        PlanLimit.objects.filter(metric=metric).values("version_id"))


def metric_plan_codes(metric: BillableMetric) -> list[str]:
    """Codes of the plans any version of which charges or limits the metric (archived plans too), or
    a subscription of which overrides its charge or limit."""
    versions = [row["version_id"] for row in _versions_using(metric)]
    in_versions = Plan.objects.filter(versions__in=versions).values_list("code", flat=True)
    overridden = SubscriptionMetricOverride.objects.filter(metric=metric).values_list("subscription__plan__code",
                                                                                     flat=True)
    return sorted({*in_versions, *overridden})


def metric_has_usage(metric: BillableMetric, *, raw_events: bool = True) -> bool:
    """Whether any usage was ever recorded for the metric: rollups (kept forever) or raw events.

    The raw table has no index leading with the metric, so a metric without rollups costs a
    scan of the retained events: only a change of what a metric measures asks for it
    (`raw_events=False` reads the rollups alone, which lag ingestion by about a minute).
    """
    if UsageRollup.objects.filter(metric=metric).exists():
        return True
    if not raw_events:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE metric_id = %s)",  # noqa: S608
                       [metric.pk])
        return cursor.fetchone()[0]


def metric_archive_blockers(metric: BillableMetric) -> list[str]:
    """Codes of the plans that still need the metric: an active plan whose current version charges or
    limits it, or a plan with a subscription (not ended) on a version that does, or that overrides it.
    Archiving the metric would stop their usage from being accepted, so it is refused while any is left."""
    versions = [row["version_id"] for row in _versions_using(metric)]
    active = Plan.objects.filter(is_active=True, current_version__in=versions).values_list("code", flat=True)
    subscribed = (Subscription.objects.filter(plan_version__in=versions).exclude(status__in=ENDED_STATUSES)
                  .values_list("plan__code", flat=True))
    overridden = (SubscriptionMetricOverride.objects.filter(metric=metric)
                  .exclude(subscription__status__in=ENDED_STATUSES).values_list("subscription__plan__code", flat=True))
    return sorted({*active, *subscribed, *overridden})
