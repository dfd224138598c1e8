"""Usage so far, read from rollups plus the raw events received after them: what current usage,
the upcoming invoice, the console, quotas and alerts read.

`usage_groups(metric, ...)` answers exactly what `metering.aggregation.aggregate` answers from
raw events alone (tests/metering/test_live_usage_matches_raw.py compares them on random events),
at a cost that does not grow with the events of the period:

- the rollups hold every event received up to the fold's cursor (`metering.services.rollups`);
- the period's whole minutes, hours and days come from rollup buckets (`rollup_sql.cover`), its
  partial first and last minutes from raw events, and the raw events received after the cursor
  (the tail: an accepted event counts at once) are added;
- one statement reads the cursor, the buckets and the raw events, so they are one snapshot; the
  tail's bound is passed in (the planner needs it to use the BRIN index on received_at), and
  the statement is run again in the rare case the cursor moved since it was last seen.

How each aggregation merges its parts (docs/metering.md, "How current usage is computed"):
count and sum add up; max takes the largest; latest the last by timestamp (a raw event beats a
bucket at the same timestamp: it was received later); unique_count counts distinct values over
the day tables and the tail; weighted_sum joins bucket summaries and raw readings in time order,
reading raw any bucket a tail reading falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection

from billing.models import Aggregation, BillableMetric
from metering import conf
from metering.aggregation import aggregate
from metering.rollup_sql import (
    ceil_to,
    compose,
    cover,
    covered_rows,
    distinct_piece,
    filters_piece,
    fingerprint,
    floor_to,
    group_piece,
    value_piece,
)
from metering.storage import EVENTS_TABLE
from metering.values import CONTEXT, period_quantity

ATTEMPTS = 3
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# Every statement's rows: source, group, events, sum, max, latest (or reading) value, its timestamp,
# first value, its timestamp, received_at (raw readings; the cursor in the state row), integral.
_STATE = """SELECT 'c' AS src, d.fingerprint AS g, NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric,
                   NULL::timestamptz, NULL::numeric, NULL::timestamptz, c.processed_through, NULL::numeric
            FROM (SELECT 1) one LEFT JOIN metering_rollupcursor c ON c.name = 'usage'
            LEFT JOIN metering_rollupdefinition d ON d.metric_id = {metric}"""
_RAW = f"""SELECT {{group}} AS g, "timestamp" AS t, {{value}} AS v, received_at AS r FROM {EVENTS_TABLE}
           WHERE account_id = {{account}} AND metric_id = {{metric}}"""  # noqa: S608

# count, sum, max, latest (and weighted_sum's last reading before a period)
_MERGEABLE = f"""{_STATE}
UNION ALL
SELECT 'r', group_key, events, value_sum, value_max, latest_value, latest_at, NULL, NULL, NULL, NULL
FROM {{covered}} k
UNION ALL
SELECT 'e', g, count(*), coalesce(sum(v), 0), max(v), (array_agg(v ORDER BY t DESC, r DESC, v DESC))[1], max(t),
       NULL, NULL, NULL, NULL
FROM ({_RAW} AND "timestamp" >= {{start}} AND "timestamp" < {{first_minute}}{{filters}}
      UNION ALL
      {_RAW} AND "timestamp" >= {{last_minute}} AND "timestamp" < {{end}}{{filters}}
      UNION ALL
      {_RAW} AND "timestamp" >= {{first_minute}} AND "timestamp" < {{last_minute}} AND received_at > {{cursor}}{{filters}}
) e GROUP BY g
"""  # noqa: S608

# unique_count: a day row counts when its value was seen inside the period (valid unless the
# period starts and ends inside one day: read raw then).
_DISTINCT = f"""{_STATE}
UNION ALL
SELECT 'u', g, count(DISTINCT u), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM (
    SELECT group_key AS g, value AS u FROM metering_usagedistinctvalue
    WHERE account_id = {{account}} AND metric_id = {{metric}} AND bucket_start >= {{first_day}}
          AND bucket_start < {{end}} AND last_at >= {{start}} AND first_at < {{end}}
    UNION ALL
    SELECT {{group}}, {{target}} FROM {EVENTS_TABLE}
    WHERE account_id = {{account}} AND metric_id = {{metric}} AND "timestamp" >= {{start}} AND "timestamp" < {{end}}
          AND received_at > {{cursor}}{{filters}}
) x WHERE u IS NOT NULL GROUP BY g
"""  # noqa: S608

_SPAN = "('1 ' || {alias}.granularity)::interval"
_WEIGHTED = f"""
WITH tail AS MATERIALIZED (
    {_RAW} AND "timestamp" >= {{first_minute}} AND "timestamp" < {{last_minute}} AND received_at > {{cursor}}{{filters}}
), rolled AS MATERIALIZED (
    SELECT k.*, EXISTS (SELECT 1 FROM tail WHERE tail.g = k.group_key AND tail.t >= k.bucket_start
                        AND tail.t < k.bucket_start + {_SPAN.format(alias="k")}) AS spoiled
    FROM {{covered}} k
)
{_STATE}
UNION ALL
SELECT 'b', group_key, NULL, NULL, NULL, latest_value, latest_at, first_value, first_at, NULL::timestamptz,
       weighted_integral
FROM rolled WHERE NOT spoiled
UNION ALL
SELECT 'e', g, NULL, NULL, NULL, v, t, NULL, NULL, r, NULL FROM (
    SELECT * FROM tail
    UNION ALL
    {_RAW} AND "timestamp" >= {{start}} AND "timestamp" < {{first_minute}}{{filters}}
    UNION ALL
    {_RAW} AND "timestamp" >= {{last_minute}} AND "timestamp" < {{end}}{{filters}}
    UNION ALL
    SELECT x.* FROM rolled s CROSS JOIN LATERAL (
        {_RAW} AND "timestamp" >= s.bucket_start AND "timestamp" < s.bucket_start + {_SPAN.format(alias="s")}
        AND received_at <= {{cursor}}{{filters}}) x
    WHERE s.spoiled AND x.g = s.group_key
) e
"""  # noqa: S608

_cursor_seen: datetime | None = None


@dataclass
class _Parts:
    events: int = 0
    total: Decimal = Decimal(0)
    largest: Decimal | None = None
    latest: Decimal | None = None
    latest_key: tuple = ()


def _run(template: str, metric: BillableMetric, **pieces) -> list | None:
    """The statement's rows after its state row, or None when the metric's rollups cannot serve it
    (its definition changed and is being folded again, or the cursor kept moving)."""
    global _cursor_seen  # noqa: PLW0603  (the last cursor seen: the usual value of the next read)
    expected = fingerprint(metric)
    for _ in range(ATTEMPTS):
        cursor_value = _cursor_seen or NEVER
        sql, params = compose(template, metric=metric.pk, cursor=cursor_value, **pieces)
        with connection.cursor() as cursor:
            # The planner cannot know that few events were received after the cursor: for a small
            # partition it would read every row rather than the BRIN index on received_at. With
            # sequential scans off, a large partition's estimate can pass jit_above_cost: compiling
            # the statement would cost more than running it, so JIT is off for it too.
            cursor.execute("SET enable_seqscan = off; SET jit = off")
            try:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.execute("RESET enable_seqscan; RESET jit")
        state = next(row for row in rows if row[0] == "c")
        if state[1] != expected:
            return None
        folded_through = state[9] or NEVER
        if folded_through == cursor_value:
            return [row for row in rows if row[0] != "c"]
        _cursor_seen = folded_through
    return None


def _edges(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    first_minute, last_minute = ceil_to(start, "minute"), floor_to(end, "minute")
    return (first_minute, last_minute) if first_minute < last_minute else None


def _run_by_minute(template: str, metric, account_id, start, end, edges) -> list | None:
    """`_run` of a statement that reads whole minute-or-coarser buckets between the period's first and
    last whole minute (`edges`) and raw events at its two partial ends."""
    first_minute, last_minute = edges
    return _run(template, metric, account=account_id, start=start, end=end, first_minute=first_minute,
                last_minute=last_minute, covered=covered_rows(account_id, metric.pk, cover(first_minute, last_minute)),
                group=group_piece(metric), value=value_piece(metric), filters=filters_piece(metric))


def _mergeable_parts(metric, account_id, start, end) -> dict[str, _Parts] | None:
    edges = _edges(start, end)
    if edges is None:
        return None
    rows = _run_by_minute(_MERGEABLE, metric, account_id, start, end, edges)
    if rows is None:
        return None
    parts: dict[str, _Parts] = {}
    for source, group_key, events, value_sum, value_max, latest_value, latest_at, *_ in rows:
        part = parts.setdefault(group_key, _Parts())
        part.events += events
        part.total = CONTEXT.add(part.total, value_sum or 0)
        if value_max is not None:
            part.largest = value_max if part.largest is None else max(part.largest, value_max)
        key = (latest_at, source == "e")  # a raw event at a bucket's timestamp was received later
        if latest_at is not None and key > part.latest_key:
            part.latest, part.latest_key = latest_value, key
    return parts


def _quantity(metric, part: _Parts):
    kind = metric.aggregation
    if kind == Aggregation.COUNT:
        return part.events
    if kind == Aggregation.SUM:
        return part.total
    if kind == Aggregation.MAX:
        return part.largest or 0
    return part.latest or 0


def _distinct(metric, account_id, start, end) -> dict[str, Decimal] | None:
    first_day = floor_to(start, "day")
    if first_day == floor_to(end - timedelta(microseconds=1), "day") and not (
            start == first_day and end == first_day + timedelta(days=1)):
        return None
    rows = _run(_DISTINCT, metric, account=account_id, start=start, end=end, first_day=first_day,
                group=group_piece(metric), target=distinct_piece(metric), filters=filters_piece(metric))
    if rows is None:
        return None
    return {group_key: period_quantity(count) for _, group_key, count, *_ in rows}


def _seconds(span: timedelta) -> Decimal:
    microseconds = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    return Decimal(microseconds).scaleb(-6)


def _retained_from() -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(day) FROM metering_usage_partitions()")
        day = cursor.fetchone()[0]
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _weighted(metric, account_id, start, end) -> dict[str, Decimal] | None:
    edges = _edges(start, end)
    if edges is None:
        return None
    # The level at the start: the last reading before it, looked for as far back as raw reads do
    # (the retention and a day), and only where raw events are still stored, as they would be.
    retained_from = _retained_from()
    carried: dict[str, _Parts] = {}
    if retained_from is not None:
        lookback = max(start - conf.retention() - timedelta(days=1), retained_from)
        if lookback < start:
            carried = _mergeable_parts(metric, account_id, lookback, start) if _edges(lookback, start) else None
            if carried is None:
                return None
    rows = _run_by_minute(_WEIGHTED, metric, account_id, start, end, edges)
    if rows is None:
        return None
    segments: dict[str, list] = {}
    for source, group_key, _, _, _, last_value, last_at, first_value, first_at, received_at, integral in rows:
        if source == "b":
            segments.setdefault(group_key, []).append(((first_at, 0, 0, 0), last_at, first_value, last_value, integral))
        else:
            segments.setdefault(group_key, []).append(((last_at, 1, received_at, last_value), last_at, last_value,
                                                      last_value, Decimal(0)))
    integrals = {}
    for group_key in sorted(set(segments) | {g for g, p in carried.items() if p.latest_key}):
        level, held_from, integral = carried[group_key].latest if group_key in carried else None, start, Decimal(0)
        for (first_at, *_), last_at, _first_value, last_value, inside in sorted(segments.get(group_key, [])):
            if level is not None:
                integral = CONTEXT.add(integral, CONTEXT.multiply(level, _seconds(first_at - held_from)))
            integral = CONTEXT.add(integral, inside)
            level, held_from = last_value, last_at
        if level is not None:
            integral = CONTEXT.add(integral, CONTEXT.multiply(level, _seconds(end - held_from)))
        integrals[group_key] = integral
    if not integrals:
        return {}
    # The average as raw reads compute it, in PostgreSQL: the same division, the same rounding.
    keys = list(integrals)
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(round(x / %s, 12) ORDER BY i) FROM unnest(%s::numeric[]) "
                       "WITH ORDINALITY AS u(x, i)",
                       [Decimal((end - start).total_seconds()), [integrals[k] for k in keys]])
        averages = cursor.fetchone()[0]
    return {key: period_quantity(average) for key, average in zip(keys, averages, strict=True)}


def usage_groups(metric: BillableMetric, *, account_id: int, start: datetime, end: datetime) -> dict[str, Decimal]:
    """{group_key: quantity} for one account and metric over [start, end), as `aggregate` gives it
    (each quantity clamped to a period's bounds), from rollups plus the raw tail."""
    kind = metric.aggregation
    if kind == Aggregation.UNIQUE_COUNT:
        found = _distinct(metric, account_id, start, end)
    elif kind == Aggregation.WEIGHTED_SUM:
        found = _weighted(metric, account_id, start, end)
    else:
        parts = _mergeable_parts(metric, account_id, start, end)
        found = None if parts is None else {g: period_quantity(_quantity(metric, p)) for g, p in parts.items()}
    if found is None:  # a period under two minutes, a metric being folded again, a cursor on the move
        return aggregate(metric, account_id=account_id, start=start, end=end)
    return found


def usage_so_far(*, account_id: int, metric_codes: list[str] | None, period_start: datetime,
                 period_end: datetime) -> dict[tuple[str, str], Decimal]:
    """`billable_usage`'s answer (same keys, every requested metric present) from rollups plus the
    raw tail: for what an invoice would hold now (the upcoming invoice). The bill run itself reads
    `billable_usage` (raw events, exact at the moment it reads)."""
    from metering.selectors.invoicing import metrics_named

    usage: dict[tuple[str, str], Decimal] = {}
    for metric in metrics_named(metric_codes):
        groups = usage_groups(metric, account_id=account_id, start=period_start, end=period_end)
        if not groups:
            usage[(metric.code, "")] = Decimal(0)
        for group_key, amount in sorted(groups.items()):
            usage[(metric.code, group_key)] = amount
    return usage
