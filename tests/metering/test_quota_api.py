"""POST /api/v1/quotas/check and /consume over HTTP: shapes, 429 with Retry-After, scopes."""

from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(api_client, api_key_for):
    def make(account, scopes=("usage:read", "usage:write")):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, list(scopes))}")
        return api_client

    return make


def test_check_answers_allowed_remaining_limit_cap_mode_and_period_end(make_metric, subscribe, client_for):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 100, "cap_mode": "hard"}])
    response = client_for(account).post("/api/v1/quotas/check", {"metric": "api_calls", "quantity": 10},
                                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allowed"] is True
    assert (body["remaining"], body["limit"], body["cap_mode"], body["usage"]) == ("100", 100, "hard", "0")
    assert body["period_end"] and body["source"] == "redis"


def test_consume_past_a_hard_cap_is_429_with_retry_after_the_period_end(make_metric, subscribe, client_for):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 1, "cap_mode": "hard"}])
    client = client_for(account)
    assert client.post("/api/v1/quotas/consume", {"metric": "api_calls"}, format="json").status_code == 200
    response = client.post("/api/v1/quotas/consume", {"metric": "api_calls"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "quota_exceeded"
    period_end = response.json()["quota"]["period_end"]
    retry_after = int(response["Retry-After"])
    assert timedelta(days=27) < timedelta(seconds=retry_after) <= timedelta(days=31)
    assert period_end


def test_a_refused_check_says_so_with_retry_after(make_metric, subscribe, client_for):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 0, "cap_mode": "hard"}])
    response = client_for(account).post("/api/v1/quotas/check", {"metric": "api_calls"}, format="json")
    assert response.status_code == 200
    assert response.json()["allowed"] is False
    assert int(response["Retry-After"]) > 0


def test_unknown_metric_and_bad_quantity_name_the_field(make_metric, make_account, client_for):
    make_metric("api_calls")
    client = client_for(make_account())
    assert client.post("/api/v1/quotas/check", {"metric": "nope"}, format="json").status_code == 404
    response = client.post("/api/v1/quotas/check", {"metric": "api_calls", "quantity": "x"}, format="json")
    assert response.status_code == 400
    assert "quantity" in response.json()["error"]["fields"]


def test_consume_needs_usage_write_and_check_needs_usage_read(make_metric, make_account, client_for):
    make_metric("api_calls")
    account = make_account()
    assert client_for(account, ["usage:read"]).post("/api/v1/quotas/consume", {"metric": "api_calls"},
                                                    format="json").status_code == 403
    assert client_for(account, ["usage:write"]).post("/api/v1/quotas/check", {"metric": "api_calls"},
                                                     format="json").status_code == 403


def test_an_account_key_cannot_check_another_account(make_metric, make_account, client_for):
    make_metric("api_calls")
    mine, other = make_account(), make_account()
    response = client_for(mine).post("/api/v1/quotas/check", {"metric": "api_calls", "account_id": other.pk},
                                     format="json")
    assert response.status_code == 404
