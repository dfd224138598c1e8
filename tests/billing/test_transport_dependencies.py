"""A dependency that cannot be reached answers 503 with Retry-After and nothing internal, never 500:
PostgreSQL (the connection refused, for real: a connection to a port nothing listens on) and Redis
(the cache pointed at such a port). Throttling lets requests through without Redis; an
Idempotency-Key cannot be honoured without it."""

import json

import pytest
import stripe
from django.db import connections
from django.db.utils import load_backend
from django.test import Client, override_settings

from billing import tenancy
from billing.models import Account

pytestmark = pytest.mark.django_db
JSON = "application/json"
CLOSED_PORT = "1"  # nothing listens there: connecting is refused at once


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def operator(api_key_for):
    key = api_key_for(None, ["admin", "billing:read", "billing:write"])
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def postgres_down():
    """This thread's `default` connection is a fresh one to a closed port; the test's own is put back after."""
    working = connections["default"]
    settings = {**working.settings_dict, "PORT": CLOSED_PORT,
                "OPTIONS": {**working.settings_dict.get("OPTIONS", {}), "connect_timeout": 1}}
    connections["default"] = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = working


@pytest.fixture
def redis_down():
    """The cache (idempotency, throttling) at a closed port."""
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": f"redis://127.0.0.1:{CLOSED_PORT}/1",
                                               "KEY_PREFIX": "unreachable"}}):
        yield


def assert_unavailable(response):
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"].isdigit() and int(response["Retry-After"]) > 0
    assert response["Content-Type"] == JSON
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields", "request_id"}
    assert error["code"] == "service_unavailable"
    text = response.content.decode().lower()
    for internal in ("127.0.0.1", "localhost", "port", "refused", "postgres", "redis", "psycopg", "connection"):
        assert internal not in text


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/v1/accounts", None),
    ("POST", "/api/v1/accounts", {"name": "Acme"}),
    ("GET", "/api/v1/invoices", None),
    ("POST", "/api/v1/quotas/check", {"metric": "calls"}),
    ("POST", "/api/v1/usage/events", {"metric": "calls", "idempotency_key": "k"}),
])
def test_postgres_unreachable_answers_503_with_retry_after(client, operator, postgres_down, method, path, body):
    response = client.generic(method, path, json.dumps(body) if body else "", content_type=JSON, **operator)
    assert_unavailable(response)


def test_a_stripe_webhook_with_postgres_unreachable_answers_503_so_stripe_retries(client, settings, postgres_down):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    body = json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 1, "data": {"object": {}}})
    header = stripe.WebhookSignature.generate_signature_header(body, settings.STRIPE_WEBHOOK_SECRET)
    response = client.post("/webhooks/stripe/", body, content_type=JSON, HTTP_STRIPE_SIGNATURE=header)
    assert_unavailable(response)


def test_without_redis_an_idempotency_key_is_a_503_and_requests_without_one_run_unthrottled(
        client, operator, redis_down):
    keyed = client.post("/api/v1/accounts", {"name": "Keyed"}, content_type=JSON,
                        HTTP_IDEMPOTENCY_KEY="create-keyed-1", **operator)
    assert_unavailable(keyed)
    unkeyed = client.post("/api/v1/accounts", {"name": "Unkeyed"}, content_type=JSON, **operator)
    assert unkeyed.status_code == 201
    assert client.get("/api/v1/accounts", **operator).status_code == 200
    with tenancy.operator_scope():
        assert list(Account.objects.filter(name__in=["Keyed", "Unkeyed"]).values_list("name", flat=True)) == [
            "Unkeyed"]
