"""Live usage counters in Redis, one per (account, metric, period), rebuilt from PostgreSQL.

- A counter is created by the first quota check of a period: its index entry is
  registered first, then the usage is read from PostgreSQL and SET (NX). Ingestion
  adds each committed batch to the counters registered for its events (Lua, so
  only existing counters move and the index is read atomically).
- Counters expire after METERING_QUOTA_COUNTER_TTL_SECONDS and are rebuilt, which
  also heals the rare batch that committed between the rebuild's read and its SET.
- Only count and sum metrics are counted incrementally; the others (max, latest,
  unique_count, weighted_sum) are rebuilt from PostgreSQL on every check.
- Redis errors raise `CountersUnavailable`; callers fall back to PostgreSQL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import redis

from billing.redis_client import client, key_prefix
from metering import conf

logger = logging.getLogger(__name__)
COUNTED = ("count", "sum")
# `client()` is the kernel's short-timeout Redis client (billing/redis_client.py), the fast lanes' too.


class CountersUnavailable(Exception):
    """Redis did not answer."""


def _prefix() -> str:
    return f"{key_prefix()}:quota"


def counter_key(account_id: int, metric_id: int, period_start: datetime) -> str:
    return f"{_prefix()}:c:{account_id}:{metric_id}:{int(period_start.timestamp())}"


def index_key(account_id: int, metric_id: int) -> str:
    return f"{_prefix()}:i:{account_id}:{metric_id}"


_ADD = """
-- KEYS: counters; ARGV: amounts. Adds to the counters that exist (a missing one is rebuilt later).
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBYFLOAT', KEYS[i], ARGV[i]) end
end
return 1
"""

_RESERVE = """
-- KEYS[1] counter; ARGV: quantity, allowed maximum (-1 = none). Returns {ok, usage} or {-1} when missing.
local current = redis.call('GET', KEYS[1])
if not current then return {-1, '0'} end
local after = tonumber(current) + tonumber(ARGV[1])
if tonumber(ARGV[2]) >= 0 and after > tonumber(ARGV[2]) then return {0, current} end
return {1, redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])}
"""


def _call(func, *args):
    try:
        return func(*args)
    except redis.RedisError as exc:
        raise CountersUnavailable(str(exc)) from exc


def counters_add(rows) -> None:
    """Add committed events to the live counters (count/sum metrics with a registered counter).

    One round trip reads the indexes of the (account, metric) pairs in the batch;
    only when some counter is registered does a second one add the totals.
    """
    grouped: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        if row.counted:
            grouped[(row.account_id, row.metric_id)].append(row)
    if not grouped:
        return
    pairs = list(grouped)
    pipe = client().pipeline(transaction=False)
    for account_id, metric_id in pairs:
        pipe.hgetall(index_key(account_id, metric_id))
    indexes = _call(pipe.execute)
    keys, amounts = [], []
    for (account_id, metric_id), periods in zip(pairs, indexes, strict=True):
        for start, end in periods.items():
            start_at, end_at = int(start), int(end)
            total = sum((row.quantity for row in grouped[(account_id, metric_id)]
                         if start_at <= row.timestamp.timestamp() < end_at), Decimal(0))
            if total:
                keys.append(f"{_prefix()}:c:{account_id}:{metric_id}:{start_at}")
                amounts.append(str(total))
    if keys:
        _call(client().register_script(_ADD), keys, amounts)


def counter_read(account_id: int, metric_id: int, period_start: datetime) -> Decimal | None:
    value = _call(client().get, counter_key(account_id, metric_id, period_start))
    return None if value is None else Decimal(value.decode())


def counter_register(account_id: int, metric_id: int, period_start: datetime, period_end: datetime) -> None:
    """Before reading PostgreSQL: from now on, committed batches add to this counter once it exists."""
    key = index_key(account_id, metric_id)
    pipe = client().pipeline(transaction=False)
    pipe.hset(key, str(int(period_start.timestamp())), str(int(period_end.timestamp())))
    pipe.expire(key, conf.settings.METERING_QUOTA_COUNTER_TTL_SECONDS * 2)
    _call(pipe.execute)


def counter_set(account_id: int, metric_id: int, period_start: datetime, value: Decimal) -> Decimal:
    """Set a rebuilt counter unless another process did first; returns the counter's value."""
    key = counter_key(account_id, metric_id, period_start)
    ttl = conf.settings.METERING_QUOTA_COUNTER_TTL_SECONDS
    pipe = client().pipeline(transaction=False)
    pipe.set(key, str(value), nx=True, ex=ttl)
    pipe.get(key)
    _, stored = _call(pipe.execute)
    return Decimal(stored.decode()) if stored is not None else value


def counter_reserve(account_id: int, metric_id: int, period_start: datetime, quantity: Decimal,
                    maximum: Decimal | None) -> tuple[bool | None, Decimal]:
    """Atomically add `quantity` unless that passes `maximum`. (None, 0) when the counter is missing."""
    script = client().register_script(_RESERVE)
    ok, usage = _call(script, [counter_key(account_id, metric_id, period_start)],
                      [str(quantity), str(maximum if maximum is not None else -1)])
    if ok == -1:
        return None, Decimal(0)
    return bool(ok), Decimal(usage.decode() if isinstance(usage, bytes) else str(usage))


def counter_release(account_id: int, metric_id: int, period_start: datetime, quantity: Decimal) -> None:
    """Give back a reservation whose event was not stored (duplicate or failure)."""
    try:
        key = counter_key(account_id, metric_id, period_start)
        if client().exists(key):
            client().incrbyfloat(key, str(-quantity))
    except redis.RedisError:
        logger.warning("quota: could not release a reservation; the counter heals at its next rebuild")
