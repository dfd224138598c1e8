"""The invoicing contract: `billable_usage`.

It reads raw events (exact, and retained 90 days by default, far longer than a
billing period plus the 35-day acceptance window), in the caller's RLS scope, and
filters by account as well. Late events are found by reading a billed period again
and comparing with what was invoiced (invoicing's `renewal_reads.late_usage_many`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection

from billing.errors import ValidationFailed
from billing.models import BillableMetric
from metering.aggregation import aggregate
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


