"""`billable_usage` for many accounts at once (invoicing's set-based bill run).

One query per metric for all the accounts, instead of one per metric and account.
Each account's result is exactly what `billable_usage(account_id=...)` returns for the
same metrics and period (tests/metering/test_billable_usage_bulk.py compares them):
every requested metric appears, ("code", "") -> 0 when the account has no usage.
Time-weighted metrics (weighted_sum) are read per account with the single selector.
Runs in the caller's RLS scope and filters by account as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import connection

from billing.errors import ValidationFailed
from billing.models import Aggregation
from metering.aggregation import filters_sql, group_sql, measure_sql
from metering.selectors.invoicing import billable_usage, metrics_named
from metering.storage import EVENTS_TABLE
from metering.values import period_quantity


def billable_usage_many(
    *, account_ids: Iterable[int], metric_codes: list[str] | None, period_start: datetime, period_end: datetime,
) -> dict[int, dict[tuple[str, str], Decimal]]:
    """{account_id: {(metric_code, group_key): quantity}} for [period_start, period_end)."""
    if period_end <= period_start:
        raise ValidationFailed({"period_end": "Must be after period_start."})
    accounts = sorted(set(account_ids))
    if not accounts:
        return {}
    metrics = metrics_named(metric_codes)
    found: dict[int, dict[int, dict[str, Decimal]]] = {a: {} for a in accounts}
    for metric in metrics:
        if metric.aggregation == Aggregation.WEIGHTED_SUM:
            for account_id in accounts:
                usage = billable_usage(account_id=account_id, metric_codes=[metric.code], period_start=period_start,
                                       period_end=period_end)
                found[account_id][metric.pk] = {g: q for (_, g), q in usage.items()}
            continue
        select_params: list = []
        group = group_sql(metric, select_params)
        measure = measure_sql(metric, select_params)
        where_params: list = [accounts, metric.pk, period_start, period_end]
        filters = filters_sql(metric, where_params)
        sql = (f"SELECT account_id, {group} AS g, {measure} FROM {EVENTS_TABLE} "  # noqa: S608
               f'WHERE account_id = ANY(%s) AND metric_id = %s AND "timestamp" >= %s AND "timestamp" < %s{filters} '
               "GROUP BY 1, 2")
        with connection.cursor() as cursor:
            cursor.execute(sql, select_params + where_params)
            for account_id, g, q in cursor.fetchall():
                found[account_id].setdefault(metric.pk, {})[g] = period_quantity(q)
    result = {}
    for account_id in accounts:
        usage: dict[tuple[str, str], Decimal] = {}
        for metric in metrics:
            groups = found[account_id].get(metric.pk) or {}
            if not groups:
                usage[(metric.code, "")] = Decimal(0)
            for group_key, amount in sorted(groups.items()):
                usage[(metric.code, group_key)] = amount
        result[account_id] = usage
    return result
