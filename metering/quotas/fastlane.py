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
  same caches and lifetimes the full path uses; the clock needs no re-read;
- the metric is counted live (count, sum) and its Redis counter exists;
- the per-key throttle allows (the same Redis counter as the full path's);
- the request has no Idempotency-Key (whose answer the full path stores and replays).
Anything else (a miss, a bad body, an error, Redis down, metering switched off) goes
to Django untouched, which answers as always and warms the caches. The lane never
writes anything but the throttle count, and never answers differently, only sooner.

Each key's `last_used_at` is then recorded when the full path sees it, that is about
once per API_KEY_CACHE_SECONDS while it is in use.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import uuid
from decimal import Decimal

import msgspec
import redis
from django.conf import settings
from prometheus_client import Counter

from billing import clock
from billing.api import keycache
from billing.errors import ValidationFailed
from billing.middleware import VALID_REQUEST_ID
from billing.services.accounts import split_key
from metering.api.common import account_for_cached
from metering.api.quotas import QuotaCheckView, QuotaRequest, answer_body, request_data, retry_after
from metering.quotas import counters, limits
from metering.services.quotas import metric_cached, quota_decision, quota_period, requested_quantity

logger = logging.getLogger(__name__)
PATH = "/api/v1/quotas/check"
MAX_BODY = 4096
ANSWERS = Counter("metering_quota_fast_lane_total", "Quota checks by how they were answered", ["lane"])
ANSWERED_FAST, ANSWERED_BY_DJANGO = ANSWERS.labels("fast"), ANSWERS.labels("django")

_CHECK = """
-- KEYS: cached key entry, counter, throttle; ARGV: the entry as this process knows it, throttle TTL.
-- One round trip: the entry must still be what this process saw (not dropped, not a tombstone),
-- the counter must exist; only then is the request counted for the throttle.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local usage = redis.call('GET', KEYS[2])
if not usage then return false end
local count = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return {usage, count}
"""
MAX_KNOWN_KEYS = 10_000


class Miss(Exception):
    """The fast lane cannot answer this one: Django will."""


class QuotaFastLane:
    """WSGI middleware in front of Django's handler (config/wsgi.py)."""

    def __init__(self, app):
        self.app = app
        self._script = None
        self._throttle_key = None
        self._known: dict[str, tuple[bytes, keycache.CachedKey]] = {}  # cached-key entries seen, by Redis key

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = None
        try:
            body = _read_body(environ)
            status, headers, payload = self._answer(environ, body)
        except (Miss, ValidationFailed, redis.RedisError):  # the full path names the field, or falls back
            return self._to_django(environ, start_response, body)
        except Exception:  # the full path answers whatever the lane could not
            logger.exception("quota fast lane failed; answering through Django")
            return self._to_django(environ, start_response, body)
        ANSWERED_FAST.inc()
        start_response(status, headers)
        return [payload]

    def _to_django(self, environ, start_response, body):
        ANSWERED_BY_DJANGO.inc()
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)  # what the lane read, given back
        return self.app(environ, start_response)

    def _answer(self, environ, body):
        if settings.API_KEY_CACHE_SECONDS <= 0 or not settings.FEATURES.get("usage_metering", True):
            raise Miss
        if "HTTP_IDEMPOTENCY_KEY" in environ:
            raise Miss  # the full path replays the answer stored for that key
        entry_key, entry, api_key = self._cached_key(environ.get("HTTP_AUTHORIZATION", ""))
        if not api_key.has_scope("usage:read"):
            raise Miss
        data = request_data(QuotaRequest, body)
        account_id = account_for_cached(api_key, data)
        metric = metric_cached(data["metric"])
        now = clock.now_without_query()
        if account_id is None or metric is None or now is None or metric.aggregation not in counters.COUNTED:
            raise Miss
        found = limits.entitlements_cached(account_id, now)
        if found is None:
            raise Miss
        requested = requested_quantity(data.get("quantity", Decimal(1)))
        entitlement = next((e for e in found if e.metric_code == metric.code), None)
        start, end = quota_period(entitlement, now)
        usage, count = self._counter_and_throttle(entry_key, entry, counters.counter_key(account_id, metric.pk, start),
                                                  api_key.id)
        if count > (getattr(QuotaCheckView, "throttle_rate_per_minute", None) or settings.API_THROTTLE_RATE_PER_MINUTE):
            raise Miss  # Django counts it too and refuses with the API's 429
        decision = quota_decision(metric, entitlement, requested, usage, start, end, "redis")
        headers = [("Content-Type", "application/json"), ("Allow", "POST, OPTIONS"),
                   ("X-Request-ID", _request_id(environ)), ("X-Content-Type-Options", "nosniff"),
                   ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
                   ("Cross-Origin-Opener-Policy", "same-origin")]
        headers += list(retry_after(decision).items())
        payload = msgspec.json.encode(answer_body(decision))
        headers.append(("Content-Length", str(len(payload))))
        return "200 OK", headers, payload

    def _cached_key(self, header: str) -> tuple[str, bytes, keycache.CachedKey]:
        """(entry key, entry, key) of the bearer key, read from Redis once per process; the check's
        script then confirms on every request that the entry is still exactly that."""
        scheme, _, raw_key = header.partition(" ")
        parsed = split_key(raw_key.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise Miss
        entry_key = keycache.entry_key(hashlib.sha256(parsed[1].encode()).hexdigest())
        known = self._known.get(entry_key)
        if known is not None:
            return entry_key, *known
        value = counters.client().get(entry_key)
        api_key = keycache.decode(value)
        if api_key is None:
            raise Miss
        if len(self._known) >= MAX_KNOWN_KEYS:
            self._known.clear()
        self._known[entry_key] = (value, api_key)
        return entry_key, value, api_key

    def _counter_and_throttle(self, entry_key: str, entry: bytes, counter_key: str, key_id: int) -> tuple[Decimal, int]:
        from django.core.cache import cache

        from billing.api.throttling import WINDOW_SECONDS

        redis_client = counters.client()
        if self._script is None or self._script.registered_client is not redis_client:
            self._script = redis_client.register_script(_CHECK)
            # The throttle's cache key as billing.api.throttling makes it, built once (the cache
            # proxy costs more than the rest of the key).
            marker = "throttle-key-marker"
            self._throttle_key = cache.make_and_validate_key(marker).replace(marker, "throttle:{}:{}").format
        window = int(time.time() // WINDOW_SECONDS)
        throttle_key = self._throttle_key(key_id, window)
        found = self._script(keys=[entry_key, counter_key, throttle_key], args=[entry, WINDOW_SECONDS * 2])
        if not found:
            self._known.pop(entry_key, None)  # re-read next time (the entry changed, or the counter is rebuilt)
            raise Miss
        usage, count = found
        return Decimal(usage.decode()), int(count)


def _read_body(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Miss from None
    if length <= 0 or length > MAX_BODY:
        raise Miss
    return environ["wsgi.input"].read(length)


def _request_id(environ) -> str:
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
