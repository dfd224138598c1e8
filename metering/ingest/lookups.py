"""Accounts and metrics named by a batch, loaded in one query per batch.

One indexed query per batch costs far less than the batch itself and, unlike a
process cache, can never attach events to a metric or account that changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from django.db import connection

from billing import tenancy
from billing.models import Account, BillableMetric


@dataclass(frozen=True)
class MetricInfo:
    id: int
    code: str
    aggregation: str
    field_name: str
    is_active: bool
    filters: dict

    @property
    def needs_number(self) -> bool:
        """Whether each event must carry a numeric value (or numeric property)."""
        return self.aggregation in ("sum", "max", "latest", "weighted_sum")

    @property
    def needs_property(self) -> bool:
        return bool(self.field_name) and self.aggregation != "count"

    def matches(self, properties: dict) -> bool:
        """Whether an event passes the metric's filters (compared as text, as the SQL does)."""
        return all(filter_text(properties.get(name)) in allowed for name, allowed in self.allowed.items())

    @property
    def allowed(self) -> dict[str, set[str]]:
        return {name: {filter_text(v) for v in (values if isinstance(values, list) else [values])}
                for name, values in (self.filters or {}).items()}


def filter_text(value) -> str | None:
    """A property as PostgreSQL's `properties ->> name` shows it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return msgspec.json.encode(value).decode()


@dataclass(frozen=True)
class AccountInfo:
    id: int
    external_id: str | None
    is_active: bool


@dataclass(frozen=True)
class BatchFacts:
    metrics: dict[str, MetricInfo]
    accounts_by_id: dict[int, AccountInfo]
    accounts_by_external_id: dict[str, AccountInfo]


def _facts_sql() -> str:
    metric_table, account_table = BillableMetric._meta.db_table, Account._meta.db_table
    return f"""
    SELECT true, id, code, aggregation, field_name, is_active, filters::text FROM {metric_table} WHERE code = ANY(%s)
    UNION ALL
    SELECT false, id, external_id, NULL, NULL, is_active, NULL FROM {account_table}
    WHERE id = ANY(%s) OR external_id = ANY(%s)
    """  # noqa: S608


def batch_facts(codes: set[str], ids: set[int], external_ids: set[str]) -> BatchFacts:
    """The metrics and the accounts a batch names, in one query (a round trip and two ORM
    compilations less per batch than a query each).

    Accounts are read in the operator scope; callers check who may use them.
    """
    query = (_facts_sql(), [list(codes), list(ids), list(external_ids)])
    # Metrics are the operator's (no tenant column): no scope change needed when no account is named.
    if tenancy.current().operator or not (ids or external_ids):  # spare two round trips
        found = _fetch(query)
    else:
        with tenancy.operator_scope():
            found = _fetch(query)
    metrics, by_id, by_external = {}, {}, {}
    for is_metric, pk, name, aggregation, field_name, is_active, filters in found:
        if is_metric:
            metrics[name] = MetricInfo(pk, name, aggregation, field_name, is_active,
                                       msgspec.json.decode(filters) if filters else {})
        else:
            account = by_id[pk] = AccountInfo(pk, name, is_active)
            if name:
                by_external[name] = account
    return BatchFacts(metrics, by_id, by_external)


def _fetch(query) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(*query)
        return cursor.fetchall()
