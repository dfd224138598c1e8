"""POST /api/v1/usage/events: batches, duplicates, per-event rejections, the window, scopes."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from metering.selectors import stored_event_count

pytestmark = pytest.mark.django_db
URL = "/api/v1/usage/events"


def post(client, events):
    return client.post(URL, {"events": events}, format="json")


def event(key, metric="api_calls", **extra):
    return {"metric": metric, "idempotency_key": key, **extra}


def stored(account):
    with tenancy.operator_scope():
        return stored_event_count(account_id=account.pk)


def test_a_batch_is_stored_and_acknowledged(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    response = post(client, [event(f"k{i}") for i in range(5)])
    assert response.status_code == 202, response.content
    assert response.json() == {"received": 5, "accepted": 5, "duplicates": [], "rejected": []}
    assert stored(account) == 5


def test_a_single_event_object_is_accepted(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    response = client.post(URL, event("single"), format="json")
    assert response.status_code == 202
    assert response.json()["accepted"] == 1


def test_duplicates_within_a_batch_count_once(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    response = post(client, [event("a"), event("b"), event("a")])
    assert response.json()["accepted"] == 2
    assert response.json()["duplicates"] == [2]
    assert stored(account) == 2


def test_duplicates_across_batches_count_once(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    post(client, [event("a"), event("b")])
    response = post(client, [event("b"), event("c")])
    assert response.json()["accepted"] == 1
    assert response.json()["duplicates"] == [0]
    assert stored(account) == 3


def test_resending_the_same_batch_counts_each_event_once(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    batch = [event(f"k{i}") for i in range(10)]
    post(client, batch)
    response = post(client, batch)
    assert response.status_code == 202
    assert response.json()["accepted"] == 0
    assert response.json()["duplicates"] == list(range(10))
    assert stored(account) == 10


def test_the_same_key_on_two_accounts_is_two_events(api_client, api_key_for, make_account, make_metric):
    make_metric("api_calls")
    a, b = make_account(), make_account()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['usage:write'])}")
    response = post(api_client, [event("same", account_id=a.pk), event("same", external_customer_id=b.external_id)])
    assert response.json()["accepted"] == 2
    assert stored(a) == 1 and stored(b) == 1


def test_a_partial_batch_stores_every_valid_event_and_names_each_rejection(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    make_metric("tokens", aggregation="sum")
    now = clock.now()
    response = post(client, [
        event("ok1"),
        event("bad-metric", metric="nope"),
        event("old", timestamp=(now - timedelta(days=36)).isoformat()),
        event("future", timestamp=(now + timedelta(minutes=10)).isoformat()),
        event("nan", metric="tokens", value="abc"),
        event("no-value", metric="tokens"),
        event("naive", timestamp="2026-01-01T00:00:00"),
        event("big", properties={"blob": "x" * 5000}),
        {"metric": "api_calls"},
        event("ok2", metric="tokens", value="12.5", timestamp=(now - timedelta(days=34)).isoformat()),
        event("unknown-field", extra=1),
        event("other-account", account_id=account.pk + 999),
    ])
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "metric"), (2, "timestamp"), (3, "timestamp"), (4, "value"), (5, "value"), (6, "timestamp"),
        (7, "properties"), (8, "idempotency_key"), (10, "extra"), (11, "account_id"),
    ]
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert "acceptance window" in reasons[2]
    assert "future" in reasons[3]
    assert stored(account) == 2


def test_a_batch_where_nothing_is_valid_answers_422(usage_client, make_metric):
    client, _ = usage_client
    response = post(client, [event("x", metric="nope")])
    assert response.status_code == 422
    assert response.json()["rejected"][0]["field"] == "metric"


def test_more_than_1000_events_is_refused_whole(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    response = post(client, [event(f"k{i}") for i in range(1001)])
    assert response.status_code == 413
    assert stored(account) == 0


def test_a_malformed_body_is_a_400_naming_the_body(usage_client):
    client, _ = usage_client
    response = client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_an_account_key_cannot_send_events_for_another_account(usage_client, make_account, make_metric):
    client, _ = usage_client
    make_metric("api_calls")
    other = make_account()
    response = post(client, [event("x", account_id=other.pk)])
    assert response.status_code == 422
    assert stored(other) == 0


def test_an_operator_key_must_name_the_account(api_client, api_key_for, make_metric):
    make_metric("api_calls")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['usage:write'])}")
    response = post(api_client, [event("x")])
    assert response.json()["rejected"][0]["field"] == "account_id"


def test_sending_usage_needs_the_usage_write_scope(api_client, api_key_for, make_account, make_metric):
    make_metric("api_calls")
    account = make_account()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, ['usage:read'])}")
    assert post(api_client, [event("x")]).status_code == 403
    api_client.credentials()
    assert post(api_client, [event("x")]).status_code == 401


def test_keys_and_properties_with_special_characters_are_stored_exactly(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls", group_by=["path"])
    odd = ["plain", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", 'quote"s', "ünïcødé ✓", "\\N"]
    events = [event(key, properties={"path": key}) for key in odd]
    assert post(client, events).json()["accepted"] == len(odd)
    assert post(client, events).json()["duplicates"] == list(range(len(odd)))
    from metering.selectors import billable_usage

    with tenancy.operator_scope():
        usage = billable_usage(account_id=account.pk, metric_codes=["api_calls"],
                               period_start=clock.now() - timedelta(days=1), period_end=clock.now() + timedelta(days=1))
    assert sorted(group for _, group in usage) == sorted(f"path={key}" for key in odd)


def test_a_nul_character_rejects_only_that_event(usage_client, make_metric):
    client, account = usage_client
    make_metric("api_calls")
    response = post(client, [event("nul\x00key"), event("ok", properties={"p": "a\x00b"}), event("fine")])
    assert response.status_code == 202
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(0, "idempotency_key"),
                                                                                (1, "properties")]
    assert stored(account) == 1


def test_switched_off_metering_answers_404(usage_client, make_metric, settings):
    client, _ = usage_client
    make_metric("api_calls")
    settings.USAGE_METERING_ENABLED = False
    response = post(client, [event("x")])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "feature_disabled"
