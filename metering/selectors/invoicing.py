"""The invoicing contract: `billable_usage` and `late_usage`.

Both read raw events (exact, and retained 90 days by default, far longer than a
billing period plus the 35-day acceptance window). They run in the caller's RLS
scope and filter by account as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection

from billing.errors import ValidationFailed
from billing.models import Aggregation, BillableMetric
from metering.aggregation import aggregate, filters_sql, group_sql
from metering.storage import EVENTS_TABLE


def metrics_named(metric_codes: list[str] | None) -> list[BillableMetric]:
    """The metrics for these codes (every metric for None); an unknown code is a ValidationFailed."""
    metrics = BillableMetric.objects.all()
    if metric_codes is None:
        return list(metrics.order_by("code"))
    found = {m.code: m for m in metrics.filter(code__in=metric_codes)}
    missing = [code for code in metric_codes if code not in found]
    if missing:
        raise ValidationFailed({"metric_codes": f"Unknown metric(s): {', '.join(sorted(missing))}."})
    return [found[code] for code in dict.fromkeys(metric_codes)]


def billable_usage(
    *, account_id: int, metric_codes: list[str] | None, period_start: datetime, period_end: datetime,
) -> dict[tuple[str, str], Decimal]:
    """The exact billable quantity per (metric_code, group_key) for [period_start, period_end).

    group_key is "" for an ungrouped metric, else e.g. "model=gpt-4|region=eu".
    Every requested metric appears: ("code", "") -> Decimal(0) when it has no usage.
    `metric_codes=None` means every metric in the catalog.
    """
    if period_end <= period_start:
        raise ValidationFailed({"period_end": "Must be after period_start."})
    usage: dict[tuple[str, str], Decimal] = {}
    for metric in metrics_named(metric_codes):
        groups = aggregate(metric, account_id=account_id, start=period_start, end=period_end)
        if not groups:
            usage[(metric.code, "")] = Decimal(0)
        for group_key, amount in sorted(groups.items()):
            usage[(metric.code, group_key)] = amount
    return usage


@dataclass(frozen=True)
class LateUsage:
    """Events of an already-invoiced time range that arrived after the invoice read the usage."""

    metric_code: str
    group_key: str
    events: int
    earliest_event_at: datetime
    latest_event_at: datetime
    # The aggregate of the late events alone: exact to add for count and sum metrics (not clamped at
    # zero: late corrections can make it negative; the delta method clamps the period as a whole).
    # For max, latest, unique_count and weighted_sum, re-read billable_usage for the
    # period they belong to and bill the difference (docs/metering.md, "For invoicing").
    quantity: Decimal | None


def late_usage(
    *, account_id: int, invoiced_before: datetime, received_after: datetime | None = None,
    metric_codes: list[str] | None = None,
) -> list[LateUsage]:
    """Events timestamped before `invoiced_before` but received after `received_after`.

    Pass `received_after` = when the previous bill run read this account's usage
    (default: `invoiced_before` itself, i.e. anything that came in after the period ended).
    """
    received_after = received_after or invoiced_before
    metrics = {m.pk: m for m in metrics_named(metric_codes)}
    if not metrics:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT metric_id, count(*), min("timestamp"), max("timestamp") FROM {EVENTS_TABLE} '  # noqa: S608
            'WHERE account_id = %s AND metric_id = ANY(%s) AND "timestamp" < %s AND received_at > %s '
            "GROUP BY metric_id",
            [account_id, list(metrics), invoiced_before, received_after],
        )
        touched = cursor.fetchall()
    late = []
    for metric_id, _, earliest, latest in touched:
        metric = metrics[metric_id]
        additive = metric.aggregation in (Aggregation.COUNT, Aggregation.SUM)
        groups = aggregate(metric, account_id=account_id, start=earliest, end=_just_after(latest),
                           received_after=received_after, signed=True) if metric.aggregation != Aggregation.WEIGHTED_SUM else {}
        counts = _late_counts(metric, account_id, earliest, latest, received_after)
        for group_key, (events, first, last) in sorted(counts.items()):
            late.append(LateUsage(metric.code, group_key, events, first, last,
                                  groups.get(group_key) if additive else None))
    return late


def _just_after(moment: datetime) -> datetime:
    return moment + timedelta(microseconds=1)


def _late_counts(metric, account_id, earliest, latest, received_after) -> dict[str, tuple[int, datetime, datetime]]:
    params: list = []
    group = group_sql(metric, params)
    params += [account_id, metric.pk, earliest, _just_after(latest), received_after]
    filters = filters_sql(metric, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {group}, count(*), min("timestamp"), max("timestamp") FROM {EVENTS_TABLE} '  # noqa: S608
            'WHERE account_id = %s AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s '
            f"AND received_at > %s{filters} GROUP BY 1",
            params,
        )
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


def stored_event_count(*, account_id: int, metric_code: str | None = None) -> int:
    """How many raw events are stored for an account (optionally one metric)."""
    sql = f"SELECT count(*) FROM {EVENTS_TABLE} WHERE account_id = %s"  # noqa: S608
    params: list = [account_id]
    if metric_code is not None:
        sql += " AND metric_id = (SELECT id FROM metering_billablemetric WHERE code = %s)"
        params.append(metric_code)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


