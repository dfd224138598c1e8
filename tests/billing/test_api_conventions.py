"""Conventions every endpoint inherits: error shape, pagination, idempotency, throttling, request ids."""

import pytest
from django.test import override_settings

from billing import tenancy
from billing.models import ApiKey

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def admin_key(api_key_for):
    return api_key_for(None, scopes=["admin"])


def test_unknown_api_paths_answer_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "fields", "request_id"}
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_answers_405_in_the_error_shape(api_client, admin_key):
    response = api_client.delete("/api/v1/api-keys", **bearer(admin_key))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_request_id_is_echoed_or_made_up(api_client):
    given = api_client.get("/api/v1/meta/info", HTTP_X_REQUEST_ID="req-12345678")
    assert given["X-Request-ID"] == "req-12345678"
    made = api_client.get("/api/v1/meta/info", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(made["X-Request-ID"]) == 32


def test_meta_endpoints_are_public(api_client):
    features = api_client.get("/api/v1/meta/features").json()["features"]
    assert features["usage_metering"] is True
    info = api_client.get("/api/v1/meta/info").json()
    assert info["api_version"] == "v1"


def test_feature_flags_come_from_the_environment(api_client, settings):
    settings.RECONCILIATION_ENABLED = False
    assert api_client.get("/api/v1/meta/features").json()["features"]["reconciliation"] is False


def test_pages_follow_the_cursor_and_limit(api_client, admin_key, api_key_for, make_account):
    account = make_account()
    for _ in range(4):
        api_key_for(account, scopes=["usage:write"])
    first = api_client.get("/api/v1/api-keys?limit=2", **bearer(admin_key)).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api_client.get(first["next"], **bearer(admin_key)).json()
    assert len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_a_limit_outside_1_to_100_is_a_field_error(api_client, admin_key, limit):
    response = api_client.get(f"/api/v1/api-keys?limit={limit}", **bearer(admin_key))
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["fields"]


def test_an_idempotent_post_is_replayed_not_repeated(api_client, admin_key):
    body = {"name": "once", "scopes": ["usage:read"]}
    first = api_client.post("/api/v1/api-keys", body, format="json", HTTP_IDEMPOTENCY_KEY="create-once-1",
                            **bearer(admin_key))
    again = api_client.post("/api/v1/api-keys", body, format="json", HTTP_IDEMPOTENCY_KEY="create-once-1",
                            **bearer(admin_key))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with tenancy.operator_scope():
        assert ApiKey.objects.filter(name="once").count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api_client, admin_key):
    api_client.post("/api/v1/api-keys", {"name": "a", "scopes": ["usage:read"]}, format="json",
                    HTTP_IDEMPOTENCY_KEY="k-conflict", **bearer(admin_key))
    response = api_client.post("/api/v1/api-keys", {"name": "b", "scopes": ["usage:read"]}, format="json",
                               HTTP_IDEMPOTENCY_KEY="k-conflict", **bearer(admin_key))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_idempotency_keys_are_per_api_key(api_client, api_key_for):
    one, two = api_key_for(None, scopes=["admin"]), api_key_for(None, scopes=["admin"])
    body = {"name": "per-key", "scopes": ["usage:read"]}
    a = api_client.post("/api/v1/api-keys", body, format="json", HTTP_IDEMPOTENCY_KEY="shared", **bearer(one))
    b = api_client.post("/api/v1/api-keys", body, format="json", HTTP_IDEMPOTENCY_KEY="shared", **bearer(two))
    assert a.json()["id"] != b.json()["id"]


def test_throttling_per_key_answers_429_with_retry_after(api_client, api_key_for, monkeypatch):
    from billing.api import throttling

    monkeypatch.setattr(throttling, "_now", lambda: 1_800_000_030.0)  # mid-window: no rollover
    limited, other = api_key_for(None, scopes=["admin"]), api_key_for(None, scopes=["admin"])
    with override_settings(API_THROTTLE_RATE_PER_MINUTE=3):
        statuses = [api_client.get("/api/v1/api-keys", **bearer(limited)).status_code for _ in range(4)]
        response = api_client.get("/api/v1/api-keys", **bearer(limited))
        other_status = api_client.get("/api/v1/api-keys", **bearer(other)).status_code
    assert statuses == [200, 200, 200, 429]
    assert response.json()["error"]["code"] == "rate_limited"
    assert response["Retry-After"] == "30"
    assert other_status == 200


def test_the_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/api-keys" in schema.content
    assert api_client.get("/api/v1/docs/").status_code == 200


def test_the_openapi_schema_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().count("/api/v1/") > 20
