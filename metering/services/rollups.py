"""Hourly and daily rollups, folded incrementally from raw events by time of receipt.

Each step locks the cursor row, adds every event received in (cursor, through]
to its hour and day buckets (upsert: count and sum add up, max and latest merge)
and moves the cursor, all in one transaction: killed halfway, nothing moved;
run twice (even at once), the second waits for the lock and finds nothing new.
`through` stays METERING_ROLLUP_LAG_SECONDS behind now, so a batch still in
flight (received, not yet committed) is never skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction

from billing.models import BillableMetric
from billing.transitions import row_lock
from metering import conf
from metering.aggregation import filters_sql, group_sql, value_sql
from metering.models import RollupCursor, RollupGranularity
from metering.storage import EVENTS_TABLE

STEP = timedelta(hours=6)
NUMERIC_AGGREGATIONS = ("sum", "max", "latest", "weighted_sum")

_UPSERT = """
INSERT INTO metering_usagerollup AS r (account_id, metric_id, granularity, bucket_start, group_key, events,
                                      value_sum, value_max, latest_value, latest_at, updated_at)
SELECT account_id, metric_id, %s, date_trunc(%s, "timestamp" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', {group},
       count(*), coalesce(sum(v), 0), max(v), (array_agg(v ORDER BY "timestamp" DESC, received_at DESC))[1],
       max("timestamp"), now()
FROM (SELECT *, {value} AS v FROM {events}
      WHERE metric_id = %s AND received_at > %s AND received_at <= %s{filters}) e
GROUP BY account_id, metric_id, 4, 5
ON CONFLICT (account_id, metric_id, granularity, bucket_start, group_key) DO UPDATE SET
    events = r.events + excluded.events,
    value_sum = r.value_sum + excluded.value_sum,
    value_max = greatest(r.value_max, excluded.value_max),
    latest_value = CASE WHEN r.latest_at IS NULL OR excluded.latest_at >= r.latest_at
                        THEN excluded.latest_value ELSE r.latest_value END,
    latest_at = greatest(r.latest_at, excluded.latest_at),
    updated_at = now()
"""


def _fold(metric: BillableMetric, granularity: str, after: datetime, through: datetime) -> int:
    group_params: list = []
    group = group_sql(metric, group_params)
    value_params: list = []
    value = value_sql(metric, value_params) if metric.aggregation in NUMERIC_AGGREGATIONS else "value"
    filter_params: list = []
    filters = filters_sql(metric, filter_params)
    sql = _UPSERT.format(group=group, value=value, events=EVENTS_TABLE, filters=filters)
    params = [granularity, granularity, *group_params, *value_params, metric.pk, after, through, *filter_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _cursor_locked() -> RollupCursor:
    row = row_lock(RollupCursor, name="usage", required=False)
    if row is not None:
        return row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(received_at) FROM {EVENTS_TABLE}")  # noqa: S608
        first = cursor.fetchone()[0]
        cursor.execute("SELECT statement_timestamp()")
        now = cursor.fetchone()[0]
    start = (first or now) - timedelta(microseconds=1)
    RollupCursor.objects.get_or_create(name="usage", defaults={"processed_through": start})
    return row_lock(RollupCursor, name="usage")


def _step() -> bool:
    """Fold one step; False when caught up."""
    with transaction.atomic():
        cursor_row = _cursor_locked()
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement_timestamp()")
            now = cursor.fetchone()[0]
        after = cursor_row.processed_through
        through = min(now - timedelta(seconds=conf.settings.METERING_ROLLUP_LAG_SECONDS), after + STEP)
        if through <= after:
            return False
        for metric in BillableMetric.objects.order_by("id"):
            for granularity in (RollupGranularity.HOUR, RollupGranularity.DAY):
                _fold(metric, granularity, after, through)
        cursor_row.processed_through = through
        cursor_row.save(update_fields=["processed_through", "updated_at"])
        return through == after + STEP


def usage_rollups_advance(*, max_steps: int = 100) -> datetime | None:
    """Fold newly received events into rollups; returns how far receipt time is now folded."""
    for _ in range(max_steps):
        if not _step():
            break
    row = RollupCursor.objects.filter(name="usage").first()
    return row.processed_through if row else None
