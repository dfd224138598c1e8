"""Answering a hot API operation in the WSGI layer, before Django: what the fast lanes share.

A lane (the quota check, usage ingestion) answers only requests whose key is in the
authenticated-key cache (`billing.api.keycache`: written by the full path after it
authenticated the key in PostgreSQL, tombstoned on any change to the key or its
account). One Lua script per request confirms that the cached entry is still exactly
what this process saw and counts the request for the per-key throttle (the same
Redis counter as `billing.api.throttling`), along with whatever the lane needs from
Redis. Anything the lane cannot answer as the full path would (a miss, a bad body,
a throttled key, an Idempotency-Key, Redis down, an error) goes to Django untouched,
which answers as always and warms the caches. So does anything Django's transport
checks refuse (`billing.middleware.ApiTransportMiddleware`: a body that is not JSON or
is too large, a query string), so those answers are the same whichever way a request
came in.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
import uuid

import redis
from django.conf import settings

from billing.api import keycache
from billing.errors import BillingError
from billing.middleware import JSON_MEDIA_TYPE, VALID_REQUEST_ID, media_type_refused
from billing.services.accounts import split_key

logger = logging.getLogger(__name__)
MAX_KNOWN_KEYS = 10_000
SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]


class Miss(Exception):
    """The fast lane cannot answer this one: Django will."""


class FastLane:
    """WSGI middleware answering POST `path` when it can (config/wsgi.py). Subclasses give
    `path`, `max_body`, `view` (for the throttle rate), `script` (Lua: KEYS[1] the key's entry,
    ARGV[1] the entry as this process knows it; false when the lane cannot answer), the
    `answered` counter's children `fast` and `django`, and `answer(environ, body)`."""

    path: str
    max_body: int
    view: type
    script: str

    def __init__(self, app):
        self.app = app
        self._sha = hashlib.sha1(self.script.encode()).hexdigest().encode()  # noqa: S324 (Redis names scripts so)
        self._held = threading.local()  # (client, connection) of this thread
        self._throttle_key = None
        self._known: dict[str, tuple[bytes, keycache.CachedKey]] = {}  # cached-key entries seen, by Redis key

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = None
        try:
            if not self.enabled() or "HTTP_IDEMPOTENCY_KEY" in environ:
                raise Miss  # the full path replays the answer stored for an Idempotency-Key
            content_type = environ.get("CONTENT_TYPE", "")
            if environ.get("QUERY_STRING") or (content_type != JSON_MEDIA_TYPE and media_type_refused(content_type)):
                raise Miss  # the lanes take no query parameters; Django answers 400 or 415 as for any view
            body = self._read_body(environ)
            status, headers, payload = self.answer(environ, body)
        except (Miss, BillingError, redis.RedisError):  # the full path names the field, or falls back
            return self._to_django(environ, start_response, body)
        except Exception:  # the full path answers whatever the lane could not
            logger.exception("%s failed; answering through Django", type(self).__name__)
            return self._to_django(environ, start_response, body)
        self.fast.inc()
        start_response(status, headers)
        return [payload]

    def enabled(self) -> bool:
        return settings.API_KEY_CACHE_SECONDS > 0

    def _to_django(self, environ, start_response, body):
        self.django.inc()
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)  # what the lane read, given back
        return self.app(environ, start_response)

    def _read_body(self, environ) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Miss from None
        if length <= 0 or length > self.max_body:
            raise Miss  # Django refuses a body larger than the view's limit with the API's 413
        return environ["wsgi.input"].read(length)

    def cached_key(self, environ, scope: str) -> tuple[str, bytes, keycache.CachedKey]:
        """(entry key, entry, key) of the bearer key, read from Redis once per process; the
        lane's script then confirms on every request that the entry is still exactly that."""
        scheme, _, raw_key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        parsed = split_key(raw_key.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise Miss
        entry_key = keycache.entry_key(hashlib.sha256(parsed[1].encode()).hexdigest())
        known = self._known.get(entry_key)
        if known is None:
            value = keycache.redis_client().get(entry_key)
            api_key = keycache.decode(value)
            if api_key is None:
                raise Miss
            if len(self._known) >= MAX_KNOWN_KEYS:
                self._known.clear()
            known = self._known[entry_key] = (value, api_key)
        if not known[1].has_scope(scope):
            raise Miss  # the full path refuses it with the API's 403
        return entry_key, *known

    def run_script(self, entry_key: str, entry: bytes, key_id: int, keys: list[str], args: list):
        """The lane's script with the cached entry first and the key's throttle counter last;
        returns its answer, whose last element is the throttle count (Miss when throttled)."""
        from billing.api.throttling import WINDOW_SECONDS

        if self._throttle_key is None:
            from django.core.cache import cache

            # The throttle's cache key as billing.api.throttling makes it, built once (the cache
            # proxy costs more than the rest of the key).
            marker = "throttle-key-marker"
            self._throttle_key = cache.make_and_validate_key(marker).replace(marker, "throttle:{}:{}").format
        throttle_key = self._throttle_key(key_id, int(time.time() // WINDOW_SECONDS))
        all_keys = [entry_key, *keys, throttle_key]
        found = self._evalsha(resp_command(b"EVALSHA", self._sha, len(all_keys), *all_keys, entry, *args,
                                           WINDOW_SECONDS * 2))
        if not found:
            self._known.pop(entry_key, None)  # re-read next time (the entry changed, or a counter is rebuilt)
            raise Miss
        rate = getattr(self.view, "throttle_rate_per_minute", None) or settings.API_THROTTLE_RATE_PER_MINUTE
        if int(found[-1]) > rate:
            raise Miss  # Django counts it too and refuses with the API's 429
        return found

    def _evalsha(self, command: bytes):
        """One round trip on a connection this thread keeps: through redis-py's connection, not its
        client, whose pool, command packing and script wrapper cost ~35 us of the check's CPU
        (docs/performance.md). Any Redis error drops the connection (the next request opens another)
        and reaches `__call__`, which hands the request to Django."""
        client = keycache.redis_client()
        held = getattr(self._held, "pair", None)
        if held is None or held[0] is not client:  # first use, or the client was replaced
            if held is not None:
                held[1].disconnect()
            held = self._held.pair = (client, client.connection_pool.make_connection())
        connection = held[1]
        try:
            try:
                connection.send_packed_command([command], check_health=False)
                return connection.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted or flushed its scripts
                client.script_load(self.script)
                connection.send_packed_command([command], check_health=False)
                return connection.read_response()
        except redis.RedisError:
            connection.disconnect()
            self._held.pair = None
            raise

    def headers(self, environ, payload: bytes, extra: list | None = None,
                identifier: str | None = None) -> list[tuple[str, str]]:
        """The headers the full path sends with a JSON answer (`identifier`: the request id, if already made)."""
        return [("Content-Type", "application/json"), ("Allow", "POST, OPTIONS"),
                ("X-Request-ID", identifier or request_id(environ)), *SECURITY_HEADERS, *(extra or []),
                ("Content-Length", str(len(payload)))]


def with_fast_lanes(app):
    """`app` (Django's WSGI handler) behind the lanes, as the web server runs it (config/wsgi.py)."""
    from metering.ingest.fastlane import IngestFastLane
    from metering.quotas.fastlane import QuotaFastLane

    return IngestFastLane(QuotaFastLane(app))


def resp_command(*parts) -> bytes:
    """A Redis command in RESP: an array of bulk strings (bytes, str or int parts)."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def request_id(environ) -> str:
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
