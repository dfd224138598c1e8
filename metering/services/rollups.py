"""Minute, hour and day rollups (and distinct values per day), folded from raw events by time of receipt.

Each step locks the cursor row, folds every event received in (cursor, through] and moves
the cursor, all in one transaction: killed halfway, nothing moved; run twice (even at
once), the second waits for the lock and finds nothing new. So the rollups always hold
exactly the events received up to the cursor, which is what lets a read add the raw
events received after it (`metering.selectors.live`) and count each event once.

`through` is never later than the start of a transaction still open on this database
(less a microsecond): an event's `received_at` is the time of the statement that wrote
it, so every event received up to `through` is committed (or rolled back) and visible
to the fold. It also stays `METERING_ROLLUP_LAG_SECONDS` behind now: the margin for
writers this role cannot see in `pg_stat_activity` (another role's sessions).

- count, sum, max, latest, unique_count (its events): the new events of each minute are
  added to their minute, hour and day buckets (count and sum add up, max and latest merge).
- unique_count: each new value is added to its day's distinct values, with the first and
  last time it was seen that day.
- weighted_sum: a reading arriving late splits a span, so the minute buckets an event lands
  in are recomputed from their raw events, then their hours from the minutes and their
  days from the hours.

A metric whose definition (aggregation, field, filters, group-by) is not the one its
rollups were folded under is rebuilt first: its rollups from the oldest retained day on
are deleted and folded again from the raw events (also how rollups made before minute
buckets existed are filled in after an upgrade).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from billing import clock
from billing.models import Aggregation, BillableMetric
from billing.transitions import row_lock
from metering import conf
from metering.models import RollupCursor, RollupDefinition
from metering.rollup_sql import (
    compose,
    distinct_piece,
    filters_piece,
    fingerprint,
    group_piece,
    trunc,
    value_piece,
)
from metering.storage import EVENTS_TABLE

STEP = timedelta(hours=6)
ROLLUPS = "metering_usagerollup"
DISTINCT = "metering_usagedistinctvalue"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = ("(account_id, metric_id, granularity, bucket_start, group_key, events, value_sum, value_max, "
            "latest_value, latest_at, updated_at)")
_ADD = """ON CONFLICT (account_id, metric_id, granularity, bucket_start, group_key) DO UPDATE SET
    events = r.events + excluded.events,
    value_sum = r.value_sum + excluded.value_sum,
    value_max = greatest(r.value_max, excluded.value_max),
    latest_value = CASE WHEN r.latest_at IS NULL OR excluded.latest_at >= r.latest_at
                        THEN excluded.latest_value ELSE r.latest_value END,
    latest_at = greatest(r.latest_at, excluded.latest_at),
    updated_at = now()"""

# The new events of each minute; then the minute, hour and day buckets they fall in. Within a
# fold, the latest value is the last in (timestamp, received_at, value) order, as in raw reads;
# across folds the later fold wins a tie on the timestamp, its events having been received later.
_FOLD_MERGEABLE = f"""
WITH delta AS MATERIALIZED (
    SELECT account_id, {{minute}} AS b, {{group}} AS g, count(*) AS n, coalesce(sum(v), 0) AS s, max(v) AS mx,
           (array_agg(v ORDER BY "timestamp" DESC, received_at DESC, v DESC))[1] AS lv, max("timestamp") AS lt
    FROM (SELECT *, {{value}} AS v FROM {EVENTS_TABLE}
          WHERE metric_id = {{metric}} AND received_at > {{after}} AND received_at <= {{through}}{{filters}}) e
    GROUP BY 1, 2, 3
), minutes AS (
    INSERT INTO {ROLLUPS} AS r {_COLUMNS}
    SELECT account_id, {{metric}}, 'minute', b, g, n, s, mx, lv, lt, now() FROM delta
    {_ADD}
), hours AS (
    INSERT INTO {ROLLUPS} AS r {_COLUMNS}
    SELECT account_id, {{metric}}, 'hour', {{hour}}, g, sum(n), sum(s), max(mx),
           (array_agg(lv ORDER BY lt DESC))[1], max(lt), now()
    FROM delta GROUP BY 1, 4, 5
    {_ADD}
)
INSERT INTO {ROLLUPS} AS r {_COLUMNS}
SELECT account_id, {{metric}}, 'day', {{day}}, g, sum(n), sum(s), max(mx), (array_agg(lv ORDER BY lt DESC))[1],
       max(lt), now()
FROM delta GROUP BY 1, 4, 5
{_ADD}
"""  # noqa: S608

_FOLD_DISTINCT = f"""
INSERT INTO {DISTINCT} AS d (account_id, metric_id, bucket_start, group_key, value, value_digest, first_at, last_at)
SELECT account_id, {{metric}}, {{day}}, g, u, sha256(convert_to(u, 'UTF8')), min("timestamp"), max("timestamp")
FROM (SELECT account_id, "timestamp", {{group}} AS g, {{target}} AS u FROM {EVENTS_TABLE}
      WHERE metric_id = {{metric}} AND received_at > {{after}} AND received_at <= {{through}}{{filters}}) e
WHERE u IS NOT NULL
GROUP BY 1, 3, 4, 5
ON CONFLICT (account_id, metric_id, bucket_start, group_key, value_digest) DO UPDATE SET
    first_at = least(d.first_at, excluded.first_at), last_at = greatest(d.last_at, excluded.last_at)
"""  # noqa: S608

_REPLACE = """ON CONFLICT (account_id, metric_id, granularity, bucket_start, group_key) DO UPDATE SET
    events = excluded.events, value_sum = excluded.value_sum, value_max = excluded.value_max,
    latest_value = excluded.latest_value, latest_at = excluded.latest_at, first_value = excluded.first_value,
    first_at = excluded.first_at, weighted_integral = excluded.weighted_integral, updated_at = now()"""
_WEIGHTED_COLUMNS = ("(account_id, metric_id, granularity, bucket_start, group_key, events, value_sum, value_max, "
                     "latest_value, latest_at, first_value, first_at, weighted_integral, updated_at)")

# weighted_sum, minutes: every minute (and group) a new event lands in, recomputed from all of
# its raw events received up to `through`: readings in (timestamp, received_at, value) order,
# each held until the next one inside the minute.
_FOLD_WEIGHTED_MINUTES = f"""
WITH touched AS (
    SELECT DISTINCT account_id, {{minute}} AS b, {{group}} AS g FROM {EVENTS_TABLE}
    WHERE metric_id = {{metric}} AND received_at > {{after}} AND received_at <= {{through}}{{filters}}
), readings AS (
    SELECT t.account_id, t.b, t.g, x.ts, x.v, x.r FROM touched t CROSS JOIN LATERAL (
        SELECT "timestamp" AS ts, {{value}} AS v, received_at AS r FROM {EVENTS_TABLE}
        WHERE account_id = t.account_id AND metric_id = {{metric}} AND "timestamp" >= t.b
              AND "timestamp" < t.b + interval '1 minute' AND received_at <= {{through}}{{filters}}
              AND {{group}} = t.g) x
), spans AS (
    SELECT *, lead(ts) OVER (PARTITION BY account_id, b, g ORDER BY ts, r, v) AS next_ts FROM readings
)
INSERT INTO {ROLLUPS} AS r {_WEIGHTED_COLUMNS}
SELECT account_id, {{metric}}, 'minute', b, g, count(*), sum(v), max(v),
       (array_agg(v ORDER BY ts DESC, r DESC, v DESC))[1], max(ts), (array_agg(v ORDER BY ts, r, v))[1], min(ts),
       coalesce(sum(v * extract(epoch FROM next_ts - ts)), 0), now()
FROM spans GROUP BY account_id, b, g
{_REPLACE}
"""  # noqa: S608

# weighted_sum, hours from their minutes and days from their hours: consecutive buckets join
# with the last reading of one held until the first reading of the next.
_FOLD_WEIGHTED_UP = f"""
WITH touched AS (
    SELECT DISTINCT account_id, {{bucket}} AS b, {{group}} AS g FROM {EVENTS_TABLE}
    WHERE metric_id = {{metric}} AND received_at > {{after}} AND received_at <= {{through}}{{filters}}
), parts AS (
    SELECT p.account_id, t.b, p.group_key AS g, p.bucket_start, p.events, p.value_sum, p.value_max, p.first_at,
           p.first_value, p.latest_at, p.latest_value, p.weighted_integral,
           lead(p.first_at) OVER (PARTITION BY p.account_id, t.b, p.group_key ORDER BY p.bucket_start) AS next_at
    FROM touched t JOIN {ROLLUPS} p ON p.account_id = t.account_id AND p.metric_id = {{metric}}
         AND p.granularity = {{finer}} AND p.bucket_start >= t.b AND p.bucket_start < t.b + {{span}}::interval
         AND p.group_key = t.g
)
INSERT INTO {ROLLUPS} AS r {_WEIGHTED_COLUMNS}
SELECT account_id, {{metric}}, {{granularity}}, b, g, sum(events), sum(value_sum), max(value_max),
       (array_agg(latest_value ORDER BY bucket_start DESC))[1], max(latest_at),
       (array_agg(first_value ORDER BY bucket_start))[1], min(first_at),
       sum(weighted_integral + coalesce(latest_value * extract(epoch FROM next_at - latest_at), 0)), now()
FROM parts GROUP BY account_id, b, g
{_REPLACE}
"""  # noqa: S608


def _execute(template: str, **pieces) -> int:
    sql, params = compose(template, **pieces)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _fold(metric: BillableMetric, after: datetime, through: datetime) -> None:
    """Fold the metric's events received in (after, through] into its rollups."""
    common = {"metric": metric.pk, "after": after, "through": through, "group": group_piece(metric),
              "filters": filters_piece(metric), "minute": trunc("minute"), "day": trunc("day")}
    if metric.aggregation == Aggregation.WEIGHTED_SUM:
        _execute(_FOLD_WEIGHTED_MINUTES, value=value_piece(metric), **common)
        for granularity, finer, span in (("hour", "minute", "1 hour"), ("day", "hour", "1 day")):
            _execute(_FOLD_WEIGHTED_UP, bucket=trunc(granularity), granularity=granularity, finer=finer, span=span,
                     **{k: v for k, v in common.items() if k not in ("minute", "day")})
        return
    _execute(_FOLD_MERGEABLE, value=value_piece(metric), hour=trunc("hour", "b"), **{**common, "day": trunc("day", "b")})
    if metric.aggregation == Aggregation.UNIQUE_COUNT:
        _execute(_FOLD_DISTINCT, target=distinct_piece(metric), **common)


def _statement_time() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]


def _cursor_locked() -> RollupCursor:
    row = row_lock(RollupCursor, name="usage", required=False)
    if row is not None:
        return row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(received_at) FROM {EVENTS_TABLE}")  # noqa: S608
        first = cursor.fetchone()[0]
    start = (first or _statement_time()) - timedelta(microseconds=1)
    RollupCursor.objects.get_or_create(name="usage", defaults={"processed_through": start})
    return row_lock(RollupCursor, name="usage")


def _safe_through(after: datetime) -> datetime:
    """How far events can be folded now: every event received up to it is committed (module docstring)."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and cached: clear it, to see it as it is now.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT statement_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL)")
        now, oldest_open = cursor.fetchone()
    through = min(now - timedelta(seconds=conf.settings.METERING_ROLLUP_LAG_SECONDS), after + STEP)
    if oldest_open is not None:
        through = min(through, oldest_open - timedelta(microseconds=1))
    return through


def _retained_from() -> datetime:
    """The start of the oldest day whose raw events are still stored (now, if none are)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(day) FROM metering_usage_partitions()")
        day = cursor.fetchone()[0]
    if day is None:
        return _statement_time()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _rebuild_changed(metrics: list[BillableMetric], folded_through: datetime) -> list[str]:
    """Fold again, from the retained raw events, the metrics whose definition changed."""
    stored = dict(RollupDefinition.objects.values_list("metric_id", "fingerprint"))
    rebuilt = []
    for metric in metrics:
        current = fingerprint(metric)
        if stored.get(metric.pk) == current:
            continue
        since = _retained_from()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ROLLUPS} WHERE metric_id = %s AND bucket_start >= %s",  # noqa: S608
                           [metric.pk, since])
            cursor.execute(f"DELETE FROM {DISTINCT} WHERE metric_id = %s AND bucket_start >= %s",  # noqa: S608
                           [metric.pk, since])
        _fold(metric, EARLIEST, folded_through)
        RollupDefinition.objects.update_or_create(metric=metric, defaults={"fingerprint": current})
        rebuilt.append(metric.code)
    return rebuilt


def _metrics_received(after: datetime, through: datetime) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT metric_id FROM {EVENTS_TABLE} "  # noqa: S608
                       "WHERE received_at > %s AND received_at <= %s", [after, through])
        return {row[0] for row in cursor.fetchall()}


def _step(first: bool) -> bool:
    """Fold one step; False when caught up."""
    with transaction.atomic():
        cursor_row = _cursor_locked()
        after = cursor_row.processed_through
        metrics = list(BillableMetric.objects.order_by("id"))
        if first:
            _rebuild_changed(metrics, after)
        through = _safe_through(after)
        if through <= after:
            return False
        received = _metrics_received(after, through)
        for metric in metrics:
            if metric.pk in received:
                _fold(metric, after, through)
        cursor_row.processed_through = through
        cursor_row.save(update_fields=["processed_through", "updated_at"])
        return through == after + STEP


def usage_rollups_advance(*, max_steps: int = 100) -> datetime | None:
    """Fold newly received events into rollups; returns how far receipt time is now folded."""
    for step in range(max_steps):
        if not _step(first=step == 0):
            break
    usage_tail_summarize()
    row = RollupCursor.objects.filter(name="usage").first()
    return row.processed_through if row else None


def usage_tail_summarize() -> int:
    """Summarize the new block ranges of the index reads find the raw tail with, in every partition that can
    still receive events, so that a read of the tail visits only blocks that hold it (migration metering
    0013). Yesterday's and today's partitions take the live traffic: only their full ranges
    (`metering.storage.tail_summarize_sql` says why). Returns how many ranges were summarized."""
    now = clock.now()
    since, live_from = (now - conf.acceptance_window()).date(), (now - timedelta(days=1)).date()
    with connection.cursor() as cursor:
        cursor.execute("SELECT metering_usage_tail_summarize(%s, %s)", [since, live_from])
        return cursor.fetchone()[0]
