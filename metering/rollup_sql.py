"""SQL pieces shared by the rollup job and the reads that merge rollups with raw events.

`compose` fills a template's `{name}` slots with (sql, params) pieces, in the order they
appear, so that expressions carrying parameters (a metric's group, value and filters,
from `metering.aggregation`) can be used several times in one statement.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from billing.models import Aggregation, BillableMetric
from metering.aggregation import filters_sql, group_sql, value_sql
from metering.models import RollupGranularity

Piece = tuple[str, list]
STEPS = {RollupGranularity.MINUTE: timedelta(minutes=1), RollupGranularity.HOUR: timedelta(hours=1),
         RollupGranularity.DAY: timedelta(days=1)}
NUMERIC_AGGREGATIONS = (Aggregation.SUM, Aggregation.MAX, Aggregation.LATEST, Aggregation.WEIGHTED_SUM)
_SLOT = re.compile(r"\{(\w+)\}")


def compose(template: str, **pieces: Piece | object) -> tuple[str, list]:
    """The template with each `{name}` replaced by its piece; a plain value becomes a parameter."""
    params: list = []

    def fill(match: re.Match) -> str:
        piece = pieces[match.group(1)]
        if isinstance(piece, tuple):
            params.extend(piece[1])
            return piece[0]
        params.append(piece)
        return "%s"

    return _SLOT.sub(fill, template), params


def group_piece(metric: BillableMetric) -> Piece:
    params: list = []
    return group_sql(metric, params), params


def value_piece(metric: BillableMetric) -> Piece:
    """The number a metric aggregates (count and unique_count read the stored `value` as is)."""
    if metric.aggregation not in NUMERIC_AGGREGATIONS:
        return "value", []
    params: list = []
    return value_sql(metric, params), params


def distinct_piece(metric: BillableMetric) -> Piece:
    """What a unique_count metric counts distinct values of (as `aggregation.measure_sql` does)."""
    if metric.field_name:
        return "(properties ->> %s)", [metric.field_name]
    return "value::text", []


def filters_piece(metric: BillableMetric) -> Piece:
    params: list = []
    return filters_sql(metric, params), params


def trunc(granularity: str, column: str = '"timestamp"') -> Piece:
    return f"(date_trunc('{granularity}', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')", []


def fingerprint(metric: BillableMetric) -> str:
    """What a metric's rollups depend on; a change means they must be folded again."""
    definition = [metric.aggregation, metric.field_name or "", metric.filters or {}, list(metric.group_by or [])]
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()


def floor_to(moment: datetime, granularity: str) -> datetime:
    moment = moment.astimezone(UTC)
    if granularity == RollupGranularity.MINUTE:
        return moment.replace(second=0, microsecond=0)
    if granularity == RollupGranularity.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_to(moment: datetime, granularity: str) -> datetime:
    floor = floor_to(moment, granularity)
    return floor if floor == moment else floor + STEPS[granularity]


def cover(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Whole buckets that tile [start, end) (both on minute boundaries), coarsest first where they fit:
    [(granularity, first bucket start, end of the last bucket), ...]."""
    if start >= end:
        return []
    hour_start, hour_end = ceil_to(start, RollupGranularity.HOUR), floor_to(end, RollupGranularity.HOUR)
    if hour_start >= hour_end:
        return [(RollupGranularity.MINUTE, start, end)]
    parts = []
    if start < hour_start:
        parts.append((RollupGranularity.MINUTE, start, hour_start))
    day_start, day_end = ceil_to(hour_start, RollupGranularity.DAY), floor_to(hour_end, RollupGranularity.DAY)
    if day_start >= day_end:
        parts.append((RollupGranularity.HOUR, hour_start, hour_end))
    else:
        if hour_start < day_start:
            parts.append((RollupGranularity.HOUR, hour_start, day_start))
        parts.append((RollupGranularity.DAY, day_start, day_end))
        if day_end < hour_end:
            parts.append((RollupGranularity.HOUR, day_end, hour_end))
    if hour_end < end:
        parts.append((RollupGranularity.MINUTE, hour_end, end))
    return parts


def covered_rows(account_id: int, metric_id: int, parts: list[tuple[str, datetime, datetime]]) -> Piece:
    """A FROM source: the rollup rows of `cover(...)`, one index range scan per part (an OR of the
    parts would be read as one scan of every bucket of the metric)."""
    branches, params = [], []
    for granularity, lo, hi in parts:
        branches.append("SELECT * FROM metering_usagerollup WHERE account_id = %s AND metric_id = %s "
                        "AND granularity = %s AND bucket_start >= %s AND bucket_start < %s")
        params += [account_id, metric_id, str(granularity), lo, hi]
    union = " UNION ALL ".join(branches) or "SELECT * FROM metering_usagerollup WHERE false"
    return f"({union})", params
