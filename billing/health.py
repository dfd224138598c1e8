"""Liveness, readiness and the metrics gate."""

import ipaddress
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponseForbidden, JsonResponse
from django_prometheus import exports

logger = logging.getLogger(__name__)


def live(request):
    return JsonResponse({"status": "ok"})


def failure_kind(name: str, exc: Exception) -> str:
    """The error's kind for the public answer; its text (addresses, users) only in the log."""
    logger.warning("readiness: %s failed: %s: %s", name, type(exc).__name__, exc)
    return type(exc).__name__


def _check_postgres() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except Exception as exc:
        return failure_kind("postgres", exc)


def _check_redis() -> str | None:
    try:
        client = cache._cache.get_client(None, write=True)
        client.ping()
        return None
    except Exception as exc:
        return failure_kind("redis", exc)


def ready(request):
    checks = {"postgres": _check_postgres(), "redis": _check_redis()}
    failed = {name: error for name, error in checks.items() if error}
    body = {
        "status": "ok" if not failed else "unavailable",
        "checks": {name: ("ok" if not error else "failed") for name, error in checks.items()},
        "errors": failed,
    }
    return JsonResponse(body, status=200 if not failed else 503)



def _is_local(request) -> bool:
    # A reverse proxy on the same host connects from localhost for every visitor; a
    # forwarded request is the visitor's, so it is not local.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "").is_loopback
    except ValueError:
        return False


def metrics(request):
    """Prometheus metrics: from localhost, or with `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    authorised = _is_local(request) or bool(token) and secrets.compare_digest(
        header.encode(), f"Bearer {token}".encode())
    if not authorised:
        return HttpResponseForbidden("metrics are served to localhost or with the metrics token")
    return exports.ExportToDjangoView(request)
