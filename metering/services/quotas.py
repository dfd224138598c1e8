"""Quota checks and consumption against plan limits.

`quota_check` answers whether an account may use N more units now; it only
reads (Redis counters, rebuilt from PostgreSQL when missing). `quota_consume`
checks and records a usage event atomically: with a hard cap, no two concurrent
consumers can pass the limit together (an atomic Redis reservation, or, when
Redis is down, a PostgreSQL advisory lock per account and metric).

Limits: a hard cap (or a limit whose overage is not allowed) refuses beyond
`included * (1 + grace_percent / 100)`; a soft cap always allows and reports the
overage; a metric without a limit (no live subscription limits it) is allowed.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from prometheus_client import Counter

from billing import clock
from billing.errors import NotFound, ValidationFailed
from billing.models import Aggregation, BillableMetric, CapMode, OverdueState
from billing.selectors import overdue_state
from metering import conf
from metering.ingest.decode import EventIn
from metering.quotas import counters, limits
from metering.selectors.live import usage_groups
from metering.services.ingestion import usage_events_record
from metering.values import DESCRIPTION, period_quantity, period_total, usage_value

logger = logging.getLogger(__name__)
FALLBACKS = Counter("metering_quota_postgres_fallback_total",
                    "Quota checks answered from PostgreSQL because Redis was unavailable")


@dataclass
class QuotaDecision:
    allowed: bool
    metric_code: str
    requested: Decimal
    usage: Decimal  # before this request (check), or after it when consumed
    limit: int | None
    remaining: Decimal | None
    cap_mode: str | None
    hard_limit: Decimal | None  # where a hard cap refuses (limit plus grace); None = never refused
    period_start: datetime | None
    period_end: datetime | None
    source: str  # redis | postgres
    consumed: bool = False
    duplicate: bool = False
    overdue_state: str = "good"  # the account's standing (billing): restricted and suspended refuse

    @property
    def overage(self) -> Decimal:
        if self.limit is None:
            return Decimal(0)
        return max(Decimal(0), self.usage + (Decimal(0) if self.consumed else self.requested) - self.limit)


_metrics: dict[str, tuple[float, BillableMetric]] = {}
METRIC_CACHE_SECONDS = 10.0


def _metric(metric_code: str) -> BillableMetric:
    """The metric, cached per process for a few seconds: the check sits in front of every request.

    A metric's id and aggregation never change once it exists (it is protected by
    foreign keys and the admin does not edit them), so only its active flag can be stale.
    """
    cached = metric_cached(metric_code)
    if cached is not None:
        return cached
    metric = BillableMetric.objects.filter(code=metric_code, is_active=True).first()
    if metric is None:
        raise NotFound(f"Unknown metric '{metric_code}'.", fields={"metric": ["Unknown metric."]})
    _metrics[metric_code] = (time.monotonic() + METRIC_CACHE_SECONDS, metric)
    return metric


def metric_cached(metric_code: str) -> BillableMetric | None:
    """The metric when this process has it cached and fresh (never queries)."""
    cached = _metrics.get(metric_code)
    return cached[1] if cached is not None and time.monotonic() < cached[0] else None


def metric_refreshed(metric_code: str) -> BillableMetric | None:
    """A metric this process had cached and whose entry expired, read again (one query); None
    when it was never cached here or is no longer active (the full path then answers)."""
    if metric_code not in _metrics:
        return None
    try:
        return _metric(metric_code)
    except NotFound:
        return None


def forget_metrics() -> None:
    _metrics.clear()


def requested_quantity(value) -> Decimal:
    """A positive usage value (`metering.values`): what can be consumed as one event can be checked."""
    number = usage_value(value)
    if number is None or number <= 0:
        raise ValidationFailed({"quantity": f"Must be a positive number: {DESCRIPTION}."})
    return number


def _hard_limit(entitlement) -> Decimal | None:
    if entitlement is None or entitlement.included < 0:
        return None
    if entitlement.cap_mode != "hard" and entitlement.overage_allowed:
        return None
    return Decimal(entitlement.included) * (100 + entitlement.grace_percent) / 100


def quota_period(entitlement, now):
    if entitlement is not None:
        return entitlement.period_start, entitlement.period_end
    from metering.selectors.current import calendar_month

    return calendar_month(now)


def period_usage(metric, account_id, start, end) -> Decimal:
    """A metric's usage by one account in a period, read from PostgreSQL (rollups plus the raw tail): the
    exact figure the Redis counters cache."""
    groups = usage_groups(metric, account_id=account_id, start=start, end=end)
    if metric.aggregation in (Aggregation.MAX, Aggregation.LATEST):
        return max(groups.values(), default=Decimal(0))
    return period_total(groups.values())


def _counter_usage(metric, account_id, start, end) -> Decimal:
    """Raises CountersUnavailable when Redis is down."""
    value = counters.counter_read(account_id, metric.pk, start)
    if value is None:
        counters.counter_register(account_id, metric.pk, start, end)
        value = counters.counter_set(account_id, metric.pk, start, period_usage(metric, account_id, start, end))
    return value


def _fallback(account_id, metric, exc) -> None:
    FALLBACKS.inc()
    logger.warning("quota: Redis unavailable (%s); answering account %s metric %s from PostgreSQL",
                   exc, account_id, metric.code)


def standing_refuses(standing: str, entitlement) -> bool:
    """The overdue policy (docs/payments.md, "Collections"): a suspended account is refused everything, a
    restricted one every metric whose limit is soft (whose usage past the limit is billed as overage),
    so its debt stops growing."""
    if standing == OverdueState.SUSPENDED:
        return True
    return standing == OverdueState.RESTRICTED and entitlement is not None and entitlement.cap_mode == CapMode.SOFT


def quota_decision(metric, entitlement, requested, usage, start, end, source, *, consumed=False,
                   standing: str = OverdueState.GOOD) -> QuotaDecision:
    """`usage` as counted: a Redis counter adds corrections as they come, so it can be below zero.
    The hard cap compares the net usage (as the consumption script does: billed, the period is
    max(0, net)); what is shown is the period's quantity, never below zero."""
    if not consumed and standing_refuses(standing, entitlement):
        decision = quota_decision(metric, entitlement, requested, usage, start, end, source)
        decision.allowed, decision.overdue_state = False, standing
        return decision
    hard = _hard_limit(entitlement)
    limit = entitlement.included if entitlement is not None and entitlement.included >= 0 else None
    after = usage if consumed else usage + requested
    shown = period_quantity(usage)
    return QuotaDecision(
        allowed=consumed or hard is None or after <= hard, metric_code=metric.code, requested=requested,
        usage=shown, limit=limit,
        remaining=None if limit is None else period_quantity(max(Decimal(0), limit - shown)),
        cap_mode=entitlement.cap_mode if entitlement is not None else None, hard_limit=hard,
        period_start=start, period_end=end, source=source, consumed=consumed, overdue_state=standing,
    )


def quota_check(*, account_id: int, metric_code: str, quantity=1) -> QuotaDecision:
    """May the account use `quantity` more units of the metric now? Records nothing."""
    requested = requested_quantity(quantity)
    metric = _metric(metric_code)
    now = clock.now()
    entitlement = limits.entitlement(account_id, metric_code, now)
    start, end = quota_period(entitlement, now)
    standing = overdue_state(account_id)
    if metric.aggregation in counters.COUNTED:
        try:
            return quota_decision(metric, entitlement, requested, _counter_usage(metric, account_id, start, end),
                                  start, end, "redis", standing=standing)
        except counters.CountersUnavailable as exc:
            _fallback(account_id, metric, exc)
    return quota_decision(metric, entitlement, requested, period_usage(metric, account_id, start, end),
                          start, end, "postgres", standing=standing)


def _event(metric, account_id, requested, key, properties, now) -> list[EventIn]:
    properties = dict(properties or {})
    if metric.aggregation == Aggregation.COUNT:
        if requested != requested.to_integral_value():
            raise ValidationFailed({"quantity": "A count metric consumes whole units."})
        count = int(requested)
        most = conf.settings.METERING_MAX_BATCH
        if count > most:  # one event per unit: as many as one ingestion batch, not a billion
            raise ValidationFailed({"quantity": f"A count metric consumes at most {most:,} units per request."})
        keys = [key] if count == 1 else [f"{key}#{i}" for i in range(count)]
        return [EventIn(metric=metric.code, idempotency_key=k, timestamp=now, properties=properties,
                        account_id=account_id) for k in keys]
    if metric.field_name:
        properties[metric.field_name] = str(requested)
        return [EventIn(metric=metric.code, idempotency_key=key, timestamp=now, properties=properties,
                        account_id=account_id)]
    return [EventIn(metric=metric.code, idempotency_key=key, timestamp=now, value=requested,
                    properties=properties, account_id=account_id)]


def _raise_rejected(result) -> None:
    if result.rejected:
        first = result.rejected[0]
        raise ValidationFailed({first.field: first.reason})


def quota_consume(*, account_id: int, metric_code: str, quantity=1, idempotency_key: str | None = None,
                  properties: dict | None = None) -> QuotaDecision:
    """Check and record `quantity` units at once; refused (allowed=False, nothing recorded) past a hard cap.

    The usage event is stored like any other (same idempotency key rules): consuming
    again with the same key is acknowledged as a duplicate and counts once.
    """
    requested = requested_quantity(quantity)
    metric = _metric(metric_code)
    if metric.aggregation not in counters.COUNTED:
        raise ValidationFailed({"metric": "Only count and sum metrics can be consumed; send events instead."})
    key = idempotency_key or f"quota-{uuid.uuid4().hex}"
    now = clock.now()
    if standing_refuses(overdue_state(account_id), limits.entitlement(account_id, metric_code, now)):
        return quota_check(account_id=account_id, metric_code=metric_code, quantity=quantity)  # refused, recorded nothing
    entitlement = limits.entitlement(account_id, metric_code, now)
    start, end = quota_period(entitlement, now)
    events = _event(metric, account_id, requested, key, properties, now)
    try:
        return _consume_with_redis(metric, entitlement, account_id, requested, events, start, end)
    except counters.CountersUnavailable as exc:
        _fallback(account_id, metric, exc)
    return _consume_with_postgres(metric, entitlement, account_id, requested, events, start, end)


def _consume_with_redis(metric, entitlement, account_id, requested, events, start, end) -> QuotaDecision:
    hard = _hard_limit(entitlement)
    ok, usage = counters.counter_reserve(account_id, metric.pk, start, requested, hard)
    if ok is None:
        _counter_usage(metric, account_id, start, end)
        ok, usage = counters.counter_reserve(account_id, metric.pk, start, requested, hard)
        if ok is None:  # expired again at once: let PostgreSQL decide rather than guess
            raise counters.CountersUnavailable("counter vanished while being rebuilt")
    if not ok:
        return quota_decision(metric, entitlement, requested, usage, start, end, "redis")
    try:
        result = usage_events_record(events=events, key_account_id=account_id, update_counters=False)
    except Exception:
        counters.counter_release(account_id, metric.pk, start, requested)
        raise
    if result.rejected or result.duplicates:
        counters.counter_release(account_id, metric.pk, start, requested)
        _raise_rejected(result)
        decision = quota_decision(metric, entitlement, requested, usage - requested, start, end, "redis", consumed=True)
        decision.duplicate = True
        return decision
    return quota_decision(metric, entitlement, requested, usage, start, end, "redis", consumed=True)


def _consume_with_postgres(metric, entitlement, account_id, requested, events, start, end) -> QuotaDecision:
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Serializes consumers of one account and metric until this transaction commits.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [int(account_id) % 2**31, int(metric.pk) % 2**31])
        usage = period_usage(metric, account_id, start, end)
        decision = quota_decision(metric, entitlement, requested, usage, start, end, "postgres")
        if not decision.allowed:
            return decision
        result = usage_events_record(events=events, key_account_id=account_id, update_counters=False)
        _raise_rejected(result)
        decision = quota_decision(metric, entitlement, requested, usage + (0 if result.duplicates else requested),
                             start, end, "postgres", consumed=True)
        decision.duplicate = bool(result.duplicates)
        return decision
