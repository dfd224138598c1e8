"""Reads for the console's usage page that the API does not need: which past periods there are, one past
period's usage against the limits of that time, and one metric's usage per day of a period.

Built on the public reads (`current_usage`, `usage_series`, `aggregate`, `entitlements_for`): what the
page shows for the current period is exactly what `GET /api/v1/usage/current` answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from billing import clock
from billing.models import Aggregation, BillableMetric
from metering.aggregation import aggregate
from metering.selectors.current import CurrentMetricUsage, calendar_month
from metering.selectors.series import usage_series
from metering.values import CONTEXT, period_total

# Days of one period drawn in the chart at most: a yearly plan's chart shows the DAYS_DRAWN days up to today.
DAYS_DRAWN = 62


@dataclass(frozen=True)
class UsagePeriod:
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """How the page names it in its URL (`?period=2026-04-01`): the start's UTC date."""
        return self.start.date().isoformat()


def usage_periods(*, account_id: int, periods: int = 6, at: datetime | None = None) -> list[UsagePeriod]:
    """The current period then up to `periods` past ones, most recent first, as `usage_history` counts
    them (the first live subscription's periods; without one, calendar months) but without reading usage."""
    from billing.models import LIVE_STATUSES, Subscription
    from pricing.periods import period_containing

    now = at or clock.now()
    subscription = (Subscription.objects.filter(account_id=account_id, status__in=LIVE_STATUSES)
                    .select_related("plan").order_by("id").first())
    if subscription is None:
        found = [UsagePeriod(*calendar_month(now))]
        for _ in range(periods):
            previous = calendar_month(found[-1].start - timedelta(days=1))[0]
            found.append(UsagePeriod(previous, found[-1].start))
        return found
    plan = subscription.plan
    found = [UsagePeriod(subscription.current_period_start, subscription.current_period_end)]
    end = subscription.current_period_start
    for _ in range(periods):
        if end <= subscription.billing_cycle_anchor:
            break
        start, _ = period_containing(subscription.billing_cycle_anchor, plan.interval, plan.interval_count,
                                     end - timedelta(microseconds=1))
        found.append(UsagePeriod(start, end))
        end = start
    return found


def usage_of_period(*, account_id: int, start: datetime, end: datetime) -> list[CurrentMetricUsage]:
    """Each metric's usage in a closed period, against the plan's limit and charge as they were at its start
    (the same figures as `current_usage` gives for the current period, without a projection)."""
    from billing.selectors import entitlements_for
    from metering.pricing import usage_cost

    entitlements = {e.metric_code: e for e in entitlements_for(account_id=account_id, at=start)}
    metrics = BillableMetric.objects.filter(code__in=list(entitlements)) if entitlements else \
        BillableMetric.objects.filter(is_active=True)
    result = []
    for metric in sorted(metrics, key=lambda m: m.code):
        groups = aggregate(metric, account_id=account_id, start=start, end=end)
        if metric.aggregation in (Aggregation.MAX, Aggregation.LATEST):
            total = max(groups.values(), default=Decimal(0))
        else:
            total = period_total(groups.values())
        entitlement = entitlements.get(metric.code)
        item = CurrentMetricUsage(metric, start, end, total, groups, entitlement, projected_usage=total)
        if entitlement is not None and entitlement.charge is not None:
            item.currency = entitlement.charge.currency
            item.overage_cost = item.projected_overage_cost = usage_cost(entitlement.charge, total)
        result.append(item)
    return result


@dataclass(frozen=True)
class Day:
    start: datetime
    value: Decimal


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def usage_by_day(*, account_id: int, metric: BillableMetric, start: datetime, end: datetime) -> list[Day]:
    """One metric's usage on each UTC day of [start, end), days to come and days without usage at zero
    (at most the DAYS_DRAWN days up to today), groups combined as the period total combines them: added
    up, or the highest for max and latest metrics."""
    first, last = _day(start), _day(end - timedelta(microseconds=1))
    today = _day(min(max(clock.now(), start), end - timedelta(microseconds=1)))
    if (last - first).days + 1 > DAYS_DRAWN:
        first = max(first, today - timedelta(days=DAYS_DRAWN - 1))
        last = first + timedelta(days=DAYS_DRAWN - 1)
    days = {first + timedelta(days=i): Decimal(0) for i in range((last - first).days + 1)}
    read_end = min(end, today + timedelta(days=1))
    combine_max = metric.aggregation in (Aggregation.MAX, Aggregation.LATEST)
    for bucket in usage_series(account_id=account_id, metric=metric, start=max(first, start), end=read_end,
                               granularity="day"):
        day = _day(bucket.start)
        if day in days:
            days[day] = max(days[day], bucket.value) if combine_max else CONTEXT.add(days[day], bucket.value)
    return [Day(day, value) for day, value in days.items()]
