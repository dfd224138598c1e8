"""Plan limits per account, cached per process so the quota check does not query PostgreSQL.

The cache entry of an account lives METERING_ENTITLEMENT_CACHE_SECONDS and never
past the end of the period it describes; `forget(account_id)` drops it at once.
"""

from __future__ import annotations

import time
from datetime import datetime

from billing import clock, tenancy
from billing.selectors import Entitlement, entitlements_for
from metering import conf

_cache: dict[int, tuple[float, list[Entitlement]]] = {}


def entitlements(account_id: int, now: datetime | None = None) -> list[Entitlement]:
    now = now or clock.now()
    cached = entitlements_cached(account_id, now)
    if cached is not None:
        return cached
    with tenancy.operator_scope():
        found = entitlements_for(account_id=account_id, at=now)
    found = [e for e in found if e.period_start <= now < e.period_end]
    _cache[account_id] = (time.monotonic() + conf.settings.METERING_ENTITLEMENT_CACHE_SECONDS, found)
    return found


def entitlements_cached(account_id: int, now: datetime) -> list[Entitlement] | None:
    """The cached limits when fresh and of the current period, else None (never queries)."""
    entry = _cache.get(account_id)
    if entry is not None and time.monotonic() < entry[0] and all(
            e.period_start <= now < e.period_end for e in entry[1]):
        return entry[1]
    return None


def entitlement(account_id: int, metric_code: str, now: datetime | None = None) -> Entitlement | None:
    """The limit of one metric (the first live subscription that limits it), or None."""
    return next((e for e in entitlements(account_id, now) if e.metric_code == metric_code), None)


def forget(account_id: int | None = None) -> None:
    if account_id is None:
        _cache.clear()
    else:
        _cache.pop(account_id, None)


def current_period_start(account_id: int) -> datetime | None:
    """The earliest start of the account's current billing periods (None without a subscription)."""
    return min((e.period_start for e in entitlements(account_id)), default=None)
