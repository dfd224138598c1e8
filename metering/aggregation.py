"""Exact aggregation of raw usage events in SQL, one metric at a time.

Semantics (docs/metering.md has worked examples):
- count: events; sum: total of the value; max: largest value; latest: the value
  of the event with the latest timestamp (ties: the last received, then the largest
  value); unique_count: distinct values of the property (or of the value); each is 0
  when there are no events.
- weighted_sum: each event is a gauge reading (e.g. GB stored) that holds from
  its timestamp until the next reading; the result is the time-weighted average
  level over the period, so 10 GB held for half of the period counts 5. The
  level at the period start is the last reading before it (within retention).
  Readings are ordered by (timestamp, received_at, value).
- The value aggregated is the metric's `field_name` property when set (numbers
  are checked at ingestion), else the event's `value`.
- filters: {"property": ["allowed", ...]} keep only matching events (as text).
- group_by: ["model", "region"] gives one result per group, keyed
  "model=gpt-4|region=eu" (the metric's group_by order; a missing property is empty).
- Sums are taken in PostgreSQL's unbounded numeric and read exactly (`metering.values`:
  no count of valid values can overflow either). Each group's quantity is then a
  period's quantity as billed and shown: never below zero (corrections cannot make
  usage negative) and at most `values.MAX_PERIOD_QUANTITY`; `signed=True` gives the
  raw net quantity instead (late usage on its own, which a correction can make negative).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection

from billing.models import Aggregation, BillableMetric
from metering import conf
from metering.storage import EVENTS_TABLE
from metering.values import DECIMAL_PLACES, period_quantity, quantity

QUANTITY_PLACES = DECIMAL_PLACES


def _property(name: str, params: list) -> str:
    params.append(name)
    return "(properties ->> %s)"


def group_sql(metric: BillableMetric, params: list) -> str:
    if not metric.group_by:
        return "''"
    parts = []
    for name in metric.group_by:
        params.append(f"{name}=")
        parts.append(f"(%s || coalesce({_property(name, params)}, ''))")
    # Bounded to the rollup tables' 255 characters (migration 0012): a long key keeps its start and a digest.
    return f"metering_group_key(concat_ws('|', {', '.join(parts)}))"


def value_sql(metric: BillableMetric, params: list) -> str:
    if metric.field_name:
        return f"{_property(metric.field_name, params)}::numeric"
    return "value"


def filters_sql(metric: BillableMetric, params: list) -> str:
    clauses = []
    for name, allowed in sorted((metric.filters or {}).items()):
        values = [str(v).lower() if isinstance(v, bool) else str(v)
                  for v in (allowed if isinstance(allowed, list) else [allowed])]
        clause = f"{_property(name, params)} = ANY(%s)"
        params.append(values)
        clauses.append(clause)
    return "".join(f" AND {c}" for c in clauses)


def aggregate(metric: BillableMetric, *, account_id: int, start: datetime, end: datetime,
              received_after: datetime | None = None, signed: bool = False) -> dict[str, Decimal]:
    """{group_key: quantity} for one account and metric over [start, end); groups without events are absent.

    Each quantity is clamped to [0, MAX_PERIOD_QUANTITY] (`values.period_quantity`) unless `signed`.
    """
    if metric.aggregation == Aggregation.WEIGHTED_SUM:
        if received_after is not None:
            raise ValueError("weighted_sum is not additive: recompute the whole period instead")
        return _weighted(metric, account_id=account_id, start=start, end=end, signed=signed)
    select_params: list = []
    group = group_sql(metric, select_params)
    measure = measure_sql(metric, select_params)
    where_params: list = [account_id, metric.pk, start, end]
    where = 'account_id = %s AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s'
    where += filters_sql(metric, where_params)
    if received_after is not None:
        where += " AND received_at > %s"
        where_params.append(received_after)
    sql = f"SELECT {group} AS g, {measure} FROM {EVENTS_TABLE} WHERE {where} GROUP BY 1"  # noqa: S608
    as_quantity = quantity if signed else period_quantity
    with connection.cursor() as cursor:
        cursor.execute(sql, select_params + where_params)
        return {g: as_quantity(q) for g, q in cursor.fetchall()}


def measure_sql(metric: BillableMetric, params: list) -> str:
    """The SQL expression that measures a metric over its events (the aggregation); appends its parameters."""
    kind = metric.aggregation
    if kind == Aggregation.COUNT:
        return "count(*)"
    if kind == Aggregation.UNIQUE_COUNT:
        target = _property(metric.field_name, params) if metric.field_name else "value::text"
        return f"count(DISTINCT {target})"
    value = value_sql(metric, params)
    if kind == Aggregation.SUM:
        return f"coalesce(sum({value}), 0)"
    if kind == Aggregation.MAX:
        return f"coalesce(max({value}), 0)"
    if kind == Aggregation.LATEST:
        # Ties on (timestamp, received_at) (one batch) go to the larger value: one answer, every time.
        return f'coalesce((array_agg({value} ORDER BY "timestamp" DESC, received_at DESC, {value_sql(metric, params)} DESC))[1], 0)'
    raise ValueError(f"unknown aggregation {kind!r}")


def _weighted(metric, *, account_id, start, end, signed) -> dict[str, Decimal]:
    params: list = []
    group = group_sql(metric, params)
    value = value_sql(metric, params)
    filters_params: list = []
    filters = filters_sql(metric, filters_params)
    lookback = start - conf.retention() - timedelta(days=1)
    sql = f"""
    WITH readings AS (
        SELECT g, greatest(t, %s) AS t, v, r, 0 AS o FROM (
            SELECT DISTINCT ON (g) {group} AS g, "timestamp" AS t, {value} AS v, received_at AS r
            FROM {EVENTS_TABLE}
            WHERE account_id = %s AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s{filters}
            ORDER BY 1, "timestamp" DESC, received_at DESC, 3 DESC
        ) carried
        UNION ALL
        SELECT {group} AS g, "timestamp" AS t, {value} AS v, received_at AS r, 1 AS o
        FROM {EVENTS_TABLE}
        WHERE account_id = %s AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s{filters}
    ), spans AS (
        SELECT g, v, extract(epoch FROM (coalesce(lead(t) OVER (PARTITION BY g ORDER BY t, o, r, v), %s) - t)) AS seconds
        FROM readings
    )
    SELECT g, round(sum(v * seconds) / %s, {QUANTITY_PLACES}) FROM spans GROUP BY g
    """  # noqa: S608
    all_params = (
        [start] + params + [account_id, metric.pk, lookback, start] + filters_params
        + params + [account_id, metric.pk, start, end] + filters_params
        + [end, Decimal((end - start).total_seconds())]
    )
    as_quantity = quantity if signed else period_quantity
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return {g: as_quantity(q) for g, q in cursor.fetchall()}
