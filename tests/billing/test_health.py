"""Liveness, readiness naming what failed, and the metrics gate."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_live_answers_ok():
    assert Client().get("/health/live").json() == {"status": "ok"}


def test_ready_checks_postgres_and_redis():
    body = Client().get("/health/ready").json()
    assert body["checks"] == {"postgres": "ok", "redis": "ok"}


def ready_with_redis_down():
    """GET /health/ready with the cache pointed at a port where nothing listens."""
    from django.core.cache import caches

    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=broken):
        caches._settings = None  # re-read CACHES
        if hasattr(caches._connections, "default"):
            del caches._connections.default
        response = Client().get("/health/ready")
    if hasattr(caches._connections, "default"):
        del caches._connections.default
    return response


def test_ready_names_redis_when_it_is_down():
    response = ready_with_redis_down()
    assert response.status_code == 503
    assert response.json()["checks"] == {"postgres": "ok", "redis": "failed"}
    assert "redis" in response.json()["errors"]


def test_a_failed_check_names_the_service_without_its_connection_details():
    response = ready_with_redis_down()
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failed"
    assert response.json()["errors"] == {"redis": "ConnectionError"}
    assert b"127.0.0.1:1" not in response.content
    body = Client().get("/health/ready").json()
    assert body["checks"] == {"postgres": "ok", "redis": "ok"}


def test_metrics_are_served_to_localhost():
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200 and b"django_http_requests" in response.content


@override_settings(METRICS_TOKEN="scrape-token")
def test_metrics_elsewhere_need_the_token():
    remote = Client(REMOTE_ADDR="203.0.113.9")
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token").status_code == 200


def test_every_response_carries_a_request_id():
    assert len(Client().get("/health/live")["X-Request-ID"]) == 32
