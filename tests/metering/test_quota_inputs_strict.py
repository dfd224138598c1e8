"""The quota check and consume bodies are read as strictly as every other API input (billing/api/strict.py)."""

import pytest

from billing.api.strict import NUL_REFUSED, UNKNOWN_FIELD

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_metric, subscribe, api_client, api_key_for):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard"}])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, ['usage:read', 'usage:write'])}")
    return api_client


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/quotas/check", "/api/v1/quotas/consume"])
def test_a_misspelt_field_is_refused_not_taken_as_the_default(client, path):
    response = client.post(path, {"metric": "api_calls", "quantiy": 50}, format="json")
    assert fields_of(response) == {"quantiy": [UNKNOWN_FIELD]}


def test_nul_in_the_consumed_events_properties_is_a_field_error(client):
    response = client.post("/api/v1/quotas/consume", {"metric": "api_calls", "properties": {"route": "/a\u0000"}},
                           format="json")
    assert fields_of(response) == {"properties.route": [NUL_REFUSED]}
    assert client.post("/api/v1/quotas/check", {"metric": "api_calls"}, format="json").json()["usage"] == "0"


def test_nul_in_an_idempotency_key_is_a_field_error(client):
    response = client.post("/api/v1/quotas/consume", {"metric": "api_calls", "idempotency_key": "k\u0000"},
                           format="json")
    assert fields_of(response) == {"idempotency_key": [NUL_REFUSED]}


def test_an_account_id_past_the_column_is_a_field_error(client):
    response = client.post("/api/v1/quotas/check", {"metric": "api_calls", "account_id": 2**63}, format="json")
    assert list(fields_of(response)) == ["account_id"]
