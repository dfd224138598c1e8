"""GET /api/v1/usage/current, /usage/{metric} and /usage/history."""

from datetime import UTC, datetime

import pytest

from billing import clock, tenancy
from metering.ingest.decode import EventIn
from metering.services import usage_events_record

pytestmark = [pytest.mark.django_db]


def auth(api_client, api_key_for, account, scopes=("usage:read", "usage:write")):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, list(scopes))}")
    return api_client


def test_an_accepted_event_shows_in_current_usage_at_once(api_client, api_key_for, make_metric, subscribe):
    make_metric("api_calls")
    account = subscribe(
        limits=[{"metric": "api_calls", "included": 4, "cap_mode": "soft"}],
        charges=[{"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.50",
                  "free_units": 4}])
    client = auth(api_client, api_key_for, account)
    client.post("/api/v1/usage/events", {"events": [{"metric": "api_calls", "idempotency_key": f"k{i}"}
                                                    for i in range(6)]}, format="json")
    response = client.get("/api/v1/usage/current")
    assert response.status_code == 200, response.content
    (row,) = response.json()["metrics"]
    assert (row["metric"], row["usage"], row["limit"], row["percent_used"], row["overage"]) == (
        "api_calls", "6", 4, "150.0", "2")
    assert (row["currency"], row["overage_cost"]) == ("USD", 100)  # 2 units over the 4 free, at $0.50
    assert row["projected_overage_cost"] >= row["overage_cost"]


def test_current_usage_without_a_subscription_covers_the_calendar_month(api_client, api_key_for, make_metric,
                                                                       make_account):
    make_metric("api_calls")
    account = make_account()
    with clock.frozen(datetime(2026, 5, 14, tzinfo=UTC)):
        response = auth(api_client, api_key_for, account).get("/api/v1/usage/current")
    (row,) = response.json()["metrics"]
    assert row["period_start"].startswith("2026-05-01") and row["limit"] is None and row["usage"] == "0"


def test_an_operator_key_names_the_account(api_client, api_key_for, make_account, make_metric):
    make_metric("api_calls")
    account = make_account()
    client = auth(api_client, api_key_for, None)
    assert client.get("/api/v1/usage/current").status_code == 400
    response = client.get(f"/api/v1/usage/current?external_customer_id={account.external_id}")
    assert response.status_code == 200 and response.json()["account_id"] == account.pk


def test_one_metric_by_day(api_client, api_key_for, make_account, make_metric):
    make_metric("api_calls")
    account = make_account()
    with tenancy.operator_scope(), clock.frozen(datetime(2026, 5, 14, tzinfo=UTC)):
        usage_events_record(events=[
            EventIn(metric="api_calls", idempotency_key=f"k{i}", account_id=account.pk,
                    timestamp=datetime(2026, 5, 10 + i % 2, tzinfo=UTC)) for i in range(5)])
    client = auth(api_client, api_key_for, account)
    response = client.get("/api/v1/usage/api_calls?granularity=day&from=2026-05-01T00:00:00Z&to=2026-05-14T00:00:00Z")
    assert response.status_code == 200, response.content
    assert [(b["start"][:10], b["value"]) for b in response.json()["buckets"]] == [("2026-05-10", "3"),
                                                                                   ("2026-05-11", "2")]
    assert client.get("/api/v1/usage/nope").status_code == 404
    assert client.get("/api/v1/usage/api_calls?granularity=week").status_code == 400


def test_history_lists_past_periods(api_client, api_key_for, make_account, make_metric):
    make_metric("api_calls")
    account = make_account()
    with tenancy.operator_scope(), clock.frozen(datetime(2026, 5, 14, tzinfo=UTC)):
        usage_events_record(events=[EventIn(metric="api_calls", idempotency_key="april", account_id=account.pk,
                                            timestamp=datetime(2026, 4, 20, tzinfo=UTC))])
    with clock.frozen(datetime(2026, 5, 14, tzinfo=UTC)):
        response = auth(api_client, api_key_for, account).get("/api/v1/usage/history?periods=2")
    periods = response.json()
    assert [p["period_start"][:10] for p in periods] == ["2026-04-01", "2026-03-01"]
    assert periods[0]["usage"] == [{"metric": "api_calls", "group": "", "quantity": "1"}]


def test_reading_usage_needs_the_usage_read_scope(api_client, api_key_for, make_account):
    account = make_account()
    assert auth(api_client, api_key_for, account, ["usage:write"]).get("/api/v1/usage/current").status_code == 403
