"""`Idempotency-Key` on POST: the first response is kept 24 hours and replayed.

Keys are per API key. The same key with another body gets 409; the same key
while the first request is still running gets 409 too (retry shortly).
Responses are stored in Redis (the cache); 5xx responses are not stored, so a
failed request can be retried with the same key.

Without Redis a key cannot be honoured (nothing would stop the retry from running
twice), so a request carrying one answers 503 with Retry-After, before it does
anything; a request without a key runs as usual. If Redis fails after the request
ran, its answer is still given (not stored: a retry with the key runs again once
the reservation expires, like a request whose answer was lost).
"""

from __future__ import annotations

import hashlib
import json
import logging

import redis
from django.core.cache import cache

from billing import conf
from billing.api.errors import ServiceUnavailable
from billing.errors import Conflict

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
IN_FLIGHT_SECONDS = 60


class Replay(Exception):
    def __init__(self, status: int, data, headers: dict):
        self.status, self.data, self.headers = status, data, headers


def _cache_key(principal: str, key: str) -> str:
    return "idem:" + hashlib.sha256(f"{principal}\x00{key}".encode()).hexdigest()


def body_fingerprint(request) -> str:
    """The request a key names: method, path and body (the same key on another path is a reuse)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\x00".encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def begin(*, principal: str, key: str, fingerprint: str) -> str:
    """Raise Replay with the stored response, Conflict on misuse; else reserve the key."""
    if len(key) > MAX_KEY_LENGTH:
        raise Conflict("Idempotency-Key is too long (255 characters at most).", code="idempotency_key_invalid")
    cache_key = _cache_key(principal, key)
    try:
        stored = cache.get(cache_key)
        if stored is None and cache.add(cache_key, {"state": "in_flight", "fingerprint": fingerprint},
                                        timeout=IN_FLIGHT_SECONDS):
            return cache_key
        stored = stored or cache.get(cache_key) or {}
    except redis.RedisError:
        logger.warning("idempotency: Redis unavailable; refusing a request with an Idempotency-Key")
        raise ServiceUnavailable("The Idempotency-Key cannot be honoured right now (its store is "
                                 "unavailable); retry later with the same key.") from None
    if stored.get("fingerprint") != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request body.",
                       code="idempotency_key_reused")
    if stored.get("state") == "in_flight":
        raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.",
                       code="idempotency_request_in_progress")
    raise Replay(stored["status"], json.loads(stored["body"]), stored.get("headers", {}))


def finish(cache_key: str, *, fingerprint: str, status: int, data, headers: dict) -> None:
    try:
        if status >= 500:
            cache.delete(cache_key)
            return
        cache.set(
            cache_key,
            {"state": "done", "fingerprint": fingerprint, "status": status,
             "body": json.dumps(data, default=str), "headers": headers},
            timeout=conf.settings.API_IDEMPOTENCY_TTL_SECONDS,
        )
    except redis.RedisError:
        logger.warning("idempotency: Redis unavailable; the answer (status %s) was not stored", status)


def abandon(cache_key: str) -> None:
    try:
        cache.delete(cache_key)
    except redis.RedisError:
        logger.warning("idempotency: Redis unavailable; the reservation expires by itself")
