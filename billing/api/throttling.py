"""A fixed-window request limit per API key, counted in Redis (one INCR per request)."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from billing.models import ApiKey

WINDOW_SECONDS = 60


def _now() -> float:
    return time.time()


def _redis_client():
    """The cache's Redis client, made once per thread's cache object rather than per request."""
    client = getattr(cache, "_throttle_client", None)
    if client is None:
        client = cache._throttle_client = cache._cache.get_client(write=True)
    return client


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        limit = getattr(view, "throttle_rate_per_minute", None) or settings.API_THROTTLE_RATE_PER_MINUTE
        now = _now()
        window = int(now // WINDOW_SECONDS)
        key = cache.make_and_validate_key(f"throttle:{request.auth.pk}:{window}")
        try:
            # One round trip: count, and let the window's key expire after it.
            client = _redis_client()
            count, _ = client.pipeline(transaction=False).incr(key).expire(key, WINDOW_SECONDS * 2).execute()
        except Exception:  # Redis down: let the request through rather than fail it
            return True
        self._retry_after = WINDOW_SECONDS - int(now) % WINDOW_SECONDS
        return count <= limit

    def wait(self):
        return getattr(self, "_retry_after", WINDOW_SECONDS)
