"""/health/ready is public: it names what failed, but not the server's addresses or error messages."""

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_a_failed_check_names_the_service_without_its_connection_details():
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=broken):
        caches._settings = None  # re-read CACHES
        if hasattr(caches._connections, "default"):
            del caches._connections.default
        response = Client().get("/health/ready")
    if hasattr(caches._connections, "default"):
        del caches._connections.default
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failed"
    assert response.json()["errors"] == {"redis": "ConnectionError"}
    assert b"127.0.0.1:1" not in response.content
