"""The process's Redis client for the request path: the authenticated-key cache, the API throttle, the
fast lanes, and metering's live quota counters, which use this one rather than a client of their own.

Short timeouts: a dead Redis must cost a request milliseconds, not seconds (each caller then falls
back: the full path, PostgreSQL, an unthrottled request). One client per process, made on first use
from the cache's LOCATION, and made again when a test changes CACHES.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"], socket_connect_timeout=0.05,
                                       socket_timeout=0.1, retry_on_timeout=False, health_check_interval=0)
    return _client


def reset_client() -> None:
    global _client
    _client = None


def key_prefix() -> str:
    """The cache's key prefix, which every key this client writes starts with (one Redis per deployment)."""
    return settings.CACHES["default"].get("KEY_PREFIX", "billing")


@receiver(setting_changed, dispatch_uid="billing_redis_client_caches_changed")
def _caches_changed(setting, **kwargs):
    if setting == "CACHES":
        reset_client()
