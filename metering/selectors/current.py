"""Usage of the current billing period against the plan's limits, and of past periods."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing import clock
from billing.models import Aggregation, BillableMetric
from billing.selectors import Entitlement, entitlements_for
from metering.pricing import usage_cost
from metering.selectors.live import usage_groups
from metering.values import CONTEXT, period_quantity, period_total

ADDITIVE = (Aggregation.COUNT, Aggregation.SUM)
# A projection from the first minutes of a period would multiply noise: the rate is taken
# over at least a tenth of the period (so the projection is at most ten times the usage).
MIN_ELAPSED_SHARE = 10


@dataclass
class CurrentMetricUsage:
    metric: BillableMetric
    period_start: datetime
    period_end: datetime
    usage: Decimal
    groups: dict[str, Decimal]
    entitlement: Entitlement | None = None
    projected_usage: Decimal = Decimal(0)
    overage_cost: int = 0  # minor units, usage so far
    projected_overage_cost: int = 0  # minor units, usage projected to the period end
    currency: str | None = None

    @property
    def limit(self) -> int | None:
        if self.entitlement is None or self.entitlement.included < 0:
            return None
        return self.entitlement.included

    @property
    def percent_used(self) -> Decimal | None:
        if self.limit is None:
            return None
        if self.limit == 0:
            return Decimal(100) if self.usage > 0 else Decimal(0)
        return CONTEXT.divide(CONTEXT.multiply(self.usage, 100), self.limit).quantize(Decimal("0.1"), context=CONTEXT)

    @property
    def overage(self) -> Decimal:
        return max(Decimal(0), self.usage - self.limit) if self.limit is not None else Decimal(0)


@dataclass
class CurrentUsage:
    account_id: int
    at: datetime
    metrics: list[CurrentMetricUsage] = field(default_factory=list)


def calendar_month(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _metric_usage(metric, account_id, start, end, entitlement, now) -> CurrentMetricUsage:
    groups = usage_groups(metric, account_id=account_id, start=start, end=end)
    if metric.aggregation == Aggregation.MAX or metric.aggregation == Aggregation.LATEST:
        total = max(groups.values(), default=Decimal(0))
    else:
        total = period_total(groups.values())
    item = CurrentMetricUsage(metric, start, end, total, groups, entitlement)
    elapsed = max(min(now, end) - start, (end - start) / MIN_ELAPSED_SHARE)
    if metric.aggregation in ADDITIVE:
        # In microseconds: a ratio of timedeltas is a float, and a float has no place in a quantity.
        ratio = CONTEXT.divide(Decimal(_microseconds(end - start)), Decimal(_microseconds(elapsed)))
        item.projected_usage = period_quantity(CONTEXT.multiply(total, ratio))
    else:
        item.projected_usage = total
    charge = entitlement.charge if entitlement is not None else None
    if charge is not None:
        item.currency = charge.currency
        item.overage_cost = usage_cost(charge, total)
        item.projected_overage_cost = usage_cost(charge, item.projected_usage)
    return item


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def current_usage(*, account_id: int, at: datetime | None = None) -> CurrentUsage:
    """Every metric of the account's live subscriptions over its current period (rollups plus the
    raw events received since: every accepted event counts at once; `metering.selectors.live`).

    Without a subscription: every active metric over the current calendar month (UTC).
    """
    now = at or clock.now()
    result = CurrentUsage(account_id=account_id, at=now)
    entitlements = {e.metric_code: e for e in entitlements_for(account_id=account_id, at=now)}
    metrics = {m.code: m for m in BillableMetric.objects.filter(code__in=list(entitlements))} if entitlements else {
        m.code: m for m in BillableMetric.objects.filter(is_active=True)}
    month = calendar_month(now)
    for code in sorted(metrics):
        entitlement = entitlements.get(code)
        start, end = (entitlement.period_start, entitlement.period_end) if entitlement else month
        result.metrics.append(_metric_usage(metrics[code], account_id, start, end, entitlement, now))
    return result


def usage_history(*, account_id: int, periods: int = 6, at: datetime | None = None) -> list[dict]:
    """Past periods (most recent first): [{period_start, period_end, usage: {(code, group): qty}}].

    Periods follow the account's first live subscription (its interval, counted back
    from its current period); without one, calendar months. Quantities come from
    raw events, so periods older than the retention read as zero for the raw-only
    aggregations; count/sum/max/latest history beyond that is in the daily rollups
    (GET /api/v1/usage/{metric}?granularity=day).
    """
    from billing.models import LIVE_STATUSES, Subscription
    from metering.selectors.invoicing import billable_usage

    now = at or clock.now()
    subscription = (Subscription.objects.filter(account_id=account_id, status__in=LIVE_STATUSES)
                    .select_related("plan").order_by("id").first())
    bounds = []
    if subscription is not None:
        from pricing.periods import period_containing

        plan = subscription.plan
        end = subscription.current_period_start
        for _ in range(periods):
            if end <= subscription.billing_cycle_anchor:
                break
            start, _ = period_containing(subscription.billing_cycle_anchor, plan.interval, plan.interval_count,
                                         end - timedelta(microseconds=1))
            bounds.append((start, end))
            end = start
    else:
        end = calendar_month(now)[0]
        for _ in range(periods):
            start = calendar_month(end - timedelta(days=1))[0]
            bounds.append((start, end))
            end = start
    return [{"period_start": start, "period_end": end,
             "usage": billable_usage(account_id=account_id, metric_codes=None, period_start=start, period_end=end)}
            for start, end in bounds]
