"""The quota check's fast lane: `POST /api/v1/quotas/check` answered in the WSGI layer, before Django.

Why: the check sits in front of every request of an operator's service. Through
Django's middleware, DRF, authentication in PostgreSQL and the throttle it cost
about 1.7 ms of CPU, and the server saturated near 800 checks/s on two cores
(docs/performance.md). Here it costs two Redis round trips and a little Python.

It answers only when everything it needs is already known, and then answers what
the full path would:
- the key is in the authenticated-key cache (`billing.api.keycache`: written by the
  full path after it authenticated the key in PostgreSQL, dropped on any change to the
  key or its account) and has the `usage:read` scope;
- the account (an account key's own, or one an operator key names and the full path
  resolved), the metric and the account's limits are in this process's caches, the
  same caches and lifetimes the full path uses;
- the metric is counted live (count, sum) and its Redis counter exists, and so does the
  account's overdue state (billing/selectors/standing.py: written as a change commits);
- the per-key throttle allows (the same Redis counter as the full path's);
- the request has no Idempotency-Key (whose answer the full path stores and replays).
Anything else (a miss, a bad body, an error, Redis down, metering switched off) goes
to Django untouched, which answers as always and warms the caches. The lane never
writes anything but the throttle count, and never answers differently, only sooner.

Two small reads the lane makes in PostgreSQL itself, when this process's copy is due
for its re-read: the domain clock's offset (`clock.now()`, one row, once a second) and
a metric it had cached (one row, every METRIC_CACHE_SECONDS). Handing those requests to
Django instead cost each worker a full-path request every second, and the checks
queued behind it were the slowest 1 % (docs/performance.md).

Each key's `last_used_at` is then recorded when the full path sees it, that is about
once per API_KEY_CACHE_SECONDS while it is in use.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
from prometheus_client import Counter

from billing import clock
from billing import conf as billing_conf
from billing.api.fastlane import FastLane, Miss
from billing.selectors.standing import standing_key
from metering.api.common import account_for_cached
from metering.api.quotas import QuotaCheckView, QuotaRequest, answer_body, request_data, retry_after
from metering.quotas import counters, limits
from metering.services.quotas import (
    metric_cached,
    metric_refreshed,
    quota_decision,
    quota_period,
    requested_quantity,
)

PATH = "/api/v1/quotas/check"
MAX_BODY = 4096
ANSWERS = Counter("metering_quota_fast_lane_total", "Quota checks by how they were answered", ["lane"])
ANSWERED_FAST, ANSWERED_BY_DJANGO = ANSWERS.labels("fast"), ANSWERS.labels("django")

_CHECK = """
-- KEYS: cached key entry, counter, account standing, throttle; ARGV: the entry as this process knows it,
-- throttle TTL. One round trip: the entry must still be what this process saw (not dropped, not a
-- tombstone), the counter and the standing must exist; only then is the request counted for the throttle.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local usage = redis.call('GET', KEYS[2])
if not usage then return false end
local standing = redis.call('GET', KEYS[3])
if not standing then return false end
local count = redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return {usage, standing, count}
"""


class QuotaFastLane(FastLane):
    """WSGI middleware in front of Django's handler (config/wsgi.py)."""

    path, max_body, view, script = PATH, MAX_BODY, QuotaCheckView, _CHECK
    fast, django = ANSWERED_FAST, ANSWERED_BY_DJANGO

    def enabled(self) -> bool:
        return super().enabled() and billing_conf.feature_enabled("usage_metering")

    def answer(self, environ, body):
        entry_key, entry, api_key = self.cached_key(environ, "usage:read")
        data = request_data(QuotaRequest, body)
        account_id = account_for_cached(api_key, data)
        metric = metric_cached(data["metric"]) or metric_refreshed(data["metric"])
        if account_id is None or metric is None or metric.aggregation not in counters.COUNTED:
            raise Miss
        now = clock.now()
        found = limits.entitlements_cached(account_id, now)
        if found is None:
            raise Miss
        requested = requested_quantity(data.get("quantity", Decimal(1)))
        entitlement = next((e for e in found if e.metric_code == metric.code), None)
        start, end = quota_period(entitlement, now)
        usage, standing, _ = self.run_script(entry_key, entry, api_key.id,
                                             [counters.counter_key(account_id, metric.pk, start),
                                              standing_key(account_id)], [])
        decision = quota_decision(metric, entitlement, requested, Decimal(usage.decode()), start, end, "redis",
                                  standing=standing.decode())
        payload = msgspec.json.encode(answer_body(decision))
        return "200 OK", self.headers(environ, payload, list(retry_after(decision).items())), payload
