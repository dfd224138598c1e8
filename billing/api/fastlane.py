"""Answering a hot API operation in the WSGI layer, before Django: what the fast lanes share.

A lane (the quota check, usage ingestion) answers only requests whose key is in the
authenticated-key cache (`billing.api.keycache`: written by the full path after it
authenticated the key in PostgreSQL, tombstoned on any change to the key or its
account). It takes the steps of the request pipeline (`billing.api.pipeline`) that
Django's middleware and DRF take on the full path, through the same functions: the host
and scheme checks, the bearer key, the throttle, the key's scope and actor, the request
id and the answer's headers. One Lua script per request confirms that the cached entry
is still exactly what this process saw and counts the request for the per-key throttle
(the same Redis counter as `billing.api.throttling`), along with whatever the lane needs
from Redis. Anything the lane cannot answer as the full path would (a host Django refuses,
plain http when SECURE_SSL_REDIRECT is on, a miss, a bad body, a throttled key, an
Idempotency-Key, Redis down, an error) goes to Django untouched, which answers as always
and warms the caches. So does anything Django's transport checks refuse
(`billing.middleware.ApiTransportMiddleware`: a body that is not JSON or is too large, a
query string), so those answers are the same whichever way a request came in.

The lanes are WSGI middleware listed in the FAST_LANES setting (config/settings/api.py);
`with_fast_lanes` stacks them in front of Django's handler (config/wsgi.py), so this
module knows no lane.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from billing import conf, redis_client
from billing.api import keycache, pipeline
from billing.errors import BillingError
from billing.middleware import JSON_MEDIA_TYPE, media_type_refused

logger = logging.getLogger(__name__)


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
        self._keys = pipeline.KnownKeys()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = None
        try:
            if not pipeline.host_allowed(environ) or pipeline.https_redirect_due(environ):
                raise Miss  # Django answers: 400 for the host, 301 to https
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
        return conf.settings.API_KEY_CACHE_SECONDS > 0

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
        try:
            parsed = pipeline.bearer_key(environ.get("HTTP_AUTHORIZATION", ""))
        except pipeline.CredentialsRefused:
            raise Miss from None  # the full path answers the 401
        found = self._keys.lookup(parsed[1]) if parsed is not None else None
        if found is None or not found[2].has_scope(scope):
            raise Miss  # not cached (the full path authenticates it), or the full path refuses it with a 403
        return found

    def run_script(self, entry_key: str, entry: bytes, key_id: int, keys: list[str], args: list):
        """The lane's script with the cached entry first and the key's throttle counter last;
        returns its answer, whose last element is the throttle count (Miss when throttled)."""
        throttle_key = pipeline.throttle_key(key_id, pipeline.throttle_clock())
        all_keys = [entry_key, *keys, throttle_key]
        found = self._evalsha(resp_command(b"EVALSHA", self._sha, len(all_keys), *all_keys, entry, *args,
                                           pipeline.WINDOW_SECONDS * 2))
        if not found:
            self._keys.forget(entry_key)  # re-read next time (the entry changed, or a counter is rebuilt)
            raise Miss
        if int(found[-1]) > pipeline.throttle_limit(self.view):
            raise Miss  # Django counts it too and refuses with the API's 429
        return found

    def _evalsha(self, command: bytes):
        """One round trip on a connection this thread keeps: through redis-py's connection, not its
        client, whose pool, command packing and script wrapper cost ~35 us of the check's CPU
        (docs/performance.md). Any Redis error drops the connection (the next request opens another)
        and reaches `__call__`, which hands the request to Django."""
        client = redis_client.client()
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
        identifier = identifier or pipeline.request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        return [("Content-Type", "application/json"), ("Allow", "POST, OPTIONS"), ("X-Request-ID", identifier),
                *pipeline.answer_headers(environ), *(extra or []), ("Content-Length", str(len(payload)))]


def with_fast_lanes(app, lanes: list[str] | None = None):
    """`app` (Django's WSGI handler) behind the lanes that FAST_LANES names (dotted paths of FastLane
    subclasses, the outermost first), as the web server runs it (config/wsgi.py). A path that does
    not load stops the process, naming it."""
    for path in reversed(settings.FAST_LANES if lanes is None else lanes):
        try:
            lane = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"FAST_LANES: {path!r} cannot be loaded: {exc}") from exc
        if not (isinstance(lane, type) and issubclass(lane, FastLane)):
            raise ImproperlyConfigured(f"FAST_LANES: {path!r} is not a billing.api.fastlane.FastLane")
        app = lane(app)
    return app


def resp_command(*parts) -> bytes:
    """A Redis command in RESP: an array of bulk strings (bytes, str or int parts)."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
