"""Usage by hour or day: rollups for what is folded, raw events for the rest.

A bucket shows what happened in it: a correction (a negative value from an operator key)
shows in its own bucket, which can then be negative. Only a period's total is clamped at
zero (`metering.values.period_quantity`), as billed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection

from billing.errors import ValidationFailed
from billing.models import Aggregation, BillableMetric
from metering.aggregation import aggregate, filters_sql, group_sql, value_sql
from metering.models import RollupCursor, UsageAlert, UsageRollup
from metering.storage import EVENTS_TABLE
from metering.values import CONTEXT, quantity

MERGEABLE = (Aggregation.COUNT, Aggregation.SUM, Aggregation.MAX, Aggregation.LATEST)
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_RAW_BUCKETS = 100
ATTEMPTS = 3


@dataclass
class Bucket:
    start: datetime
    group_key: str
    events: int | None
    value: Decimal
    _sum: Decimal = Decimal(0)
    _max: Decimal | None = None
    _latest: Decimal | None = None
    _latest_at: datetime | None = None


def truncate(moment: datetime, granularity: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if granularity == "day" else moment


def usage_series(*, account_id: int, metric: BillableMetric, start: datetime, end: datetime,
                 granularity: str) -> list[Bucket]:
    """One bucket per (hour or UTC day, group) that has usage, in time order."""
    if granularity not in STEPS:
        raise ValidationFailed({"granularity": "Must be hour or day."})
    start, end = truncate(start, granularity), end
    if metric.aggregation not in MERGEABLE:
        return _raw_buckets(account_id, metric, start, end, granularity)
    for _ in range(ATTEMPTS):
        buckets, folded_through = _folded_and_tail(account_id, metric, start, end, granularity)
        if folded_through == _folded_through():
            break
    else:  # the job kept folding between our reads: every bucket from the raw events, in one statement
        buckets = {}
        for row in _tail(account_id, metric, start, end, granularity, None):
            _merge(buckets, *row)
    result = sorted(buckets.values(), key=lambda b: (b.start, b.group_key))
    for bucket in result:
        bucket.value = quantity({
            Aggregation.COUNT: bucket.events, Aggregation.SUM: bucket._sum,
            Aggregation.MAX: bucket._max, Aggregation.LATEST: bucket._latest,
        }[metric.aggregation])
    return result


def _folded_through() -> datetime | None:
    cursor_row = RollupCursor.objects.filter(name="usage").first()
    return cursor_row.processed_through if cursor_row else None


def _folded_and_tail(account_id, metric, start, end, granularity):
    """The rollups folded through the cursor plus the raw events received after it. Read in separate
    statements: when the job folds between the cursor's read and the rollups' (the rollups then hold
    events the tail counts too), the cursor has moved by the time the caller reads it again."""
    buckets: dict[tuple[datetime, str], Bucket] = {}
    folded_through = _folded_through()
    if folded_through is not None:
        for row in UsageRollup.objects.filter(account_id=account_id, metric=metric, granularity=granularity,
                                              bucket_start__gte=start, bucket_start__lt=end):
            _merge(buckets, row.bucket_start, row.group_key, row.events, row.value_sum, row.value_max,
                   row.latest_value, row.latest_at)
    for row in _tail(account_id, metric, start, end, granularity, folded_through):
        _merge(buckets, *row)
    return buckets, folded_through


def _merge(buckets, start, group_key, events, value_sum, value_max, latest_value, latest_at) -> None:
    bucket = buckets.setdefault((start, group_key), Bucket(start, group_key, 0, Decimal(0)))
    bucket.events += events
    bucket._sum = CONTEXT.add(bucket._sum, value_sum or 0)  # exact, however large the rollups
    if value_max is not None:
        bucket._max = value_max if bucket._max is None else max(bucket._max, value_max)
    if latest_at is not None and (bucket._latest_at is None or latest_at >= bucket._latest_at):
        bucket._latest, bucket._latest_at = latest_value, latest_at


def _tail(account_id, metric, start, end, granularity, received_after):
    """Raw events not yet folded into rollups, aggregated the way the rollup job does."""
    group_params: list = []
    group = group_sql(metric, group_params)
    value_params: list = []
    value = value_sql(metric, value_params) if metric.aggregation != Aggregation.COUNT else "value"
    where_params: list = [account_id, metric.pk, start, end]
    where = 'account_id = %s AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s'
    if received_after is not None:
        where += " AND received_at > %s"
        where_params.append(received_after)
    where += filters_sql(metric, where_params)
    sql = (
        f"SELECT date_trunc(%s, \"timestamp\" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', {group}, count(*), "  # noqa: S608
        "coalesce(sum(v), 0), max(v), (array_agg(v ORDER BY \"timestamp\" DESC, received_at DESC))[1], "
        f'max("timestamp") FROM (SELECT *, {value} AS v FROM {EVENTS_TABLE} WHERE {where}) e GROUP BY 1, 2'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [granularity, *group_params, *value_params, *where_params])
        return cursor.fetchall()


def _raw_buckets(account_id, metric, start, end, granularity) -> list[Bucket]:
    """unique_count and weighted_sum do not merge across buckets: each bucket from raw events."""
    step = STEPS[granularity]
    if (end - start) / step > MAX_RAW_BUCKETS:
        raise ValidationFailed({"from": f"At most {MAX_RAW_BUCKETS} {granularity}s for a {metric.aggregation} metric."})
    result = []
    moment = start
    while moment < end:
        for group_key, amount in sorted(aggregate(metric, account_id=account_id, start=moment,
                                                  end=min(moment + step, end)).items()):
            if amount:
                result.append(Bucket(moment, group_key, None, amount))
        moment += step
    return result


def alerts_open(*, account_id: int) -> list[UsageAlert]:
    """Thresholds reached in periods not yet over, not dismissed: the console banner."""
    from billing import clock

    return list(UsageAlert.objects.filter(account_id=account_id, dismissed_at__isnull=True,
                                          period_end__gt=clock.now()).select_related("metric")
                .order_by("metric__code", "-threshold_percent"))
