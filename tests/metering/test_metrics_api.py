"""Billable metrics over the API (operator keys): create, list, retrieve, update, archive, audited;
the code never changes, what a metric measures is fixed once used, and a metric plans need stays."""

import pytest
from rest_framework.test import APIClient

from billing import tenancy
from billing.models import AuditEntry, BillableMetric
from billing.services import plan_update, subscription_cancel, subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db
URL = "/api/v1/billable-metrics"


@pytest.fixture
def operator_client(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read', 'billing:write'])}")
    return api_client


def create(client, **fields):
    body = {"code": "llm_tokens", "name": "LLM tokens", "unit": "token", "aggregation": "sum",
            "field_name": "tokens", "group_by": ["model"], **fields}
    return client.post(URL, body, format="json")


def test_an_operator_key_creates_lists_reads_updates_and_archives_a_metric_with_audit(operator_client):
    created = create(operator_client)
    assert created.status_code == 201, created.json()
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0, "code": "llm_tokens", "name": "LLM tokens", "description": "", "unit": "token", "unit_code": "C62",
        "aggregation": "sum", "field_name": "tokens", "filters": {}, "group_by": ["model"], "is_active": True,
        "created_at": ""}
    assert operator_client.get(f"{URL}/llm_tokens").json()["unit"] == "token"
    assert operator_client.get(f"{URL}/nope").status_code == 404
    updated = operator_client.patch(f"{URL}/llm_tokens", {"name": "Tokens", "filters": {"region": ["eu"]}},
                                    format="json")
    assert updated.status_code == 200 and updated.json()["name"] == "Tokens"
    archived = operator_client.delete(f"{URL}/llm_tokens")
    assert archived.status_code == 200 and archived.json()["is_active"] is False
    assert operator_client.get(f"{URL}?is_active=false").json()["results"][0]["code"] == "llm_tokens"
    assert operator_client.get(f"{URL}?is_active=true").json()["results"] == []
    with tenancy.operator_scope():
        assert BillableMetric.objects.filter(code="llm_tokens").exists()  # archived, not deleted
        actions = list(AuditEntry.objects.filter(object_type="billing.billablemetric")
                       .order_by("id").values_list("action", "actor_type"))
    assert actions == [("billable_metric.created", "api_key"), ("billable_metric.updated", "api_key"),
                       ("billable_metric.archived", "api_key")]


def test_the_list_is_cursor_paginated(operator_client):
    for code in ("a_calls", "b_calls", "c_calls"):
        assert create(operator_client, code=code, aggregation="count", field_name="", group_by=[]).status_code == 201
    first = operator_client.get(f"{URL}?limit=2").json()
    second = operator_client.get(first["next"]).json()
    assert [m["code"] for m in first["results"] + second["results"]] == ["c_calls", "b_calls", "a_calls"]


def test_account_keys_and_keys_without_the_scope_are_refused(make_account, api_key_for, api_client):
    account_key = api_key_for(make_account(), scopes=["billing:read", "billing:write"])
    assert api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {account_key}").status_code == 403
    reader = api_key_for(None, scopes=["billing:read"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert api_client.get(URL).status_code == 200
    refused = create(api_client)
    assert refused.status_code == 403 and "billing:write" in refused.json()["error"]["message"]


def test_bad_fields_are_named_and_nothing_is_created(operator_client):
    response = create(operator_client, code="has space", aggregation="median", group_by=["a", "a b"])
    assert response.status_code == 400
    assert {"code", "aggregation", "group_by.1"} <= set(response.json()["error"]["fields"])
    nested = create(operator_client, filters={"region": [{"in": ["eu"]}]})
    assert nested.status_code == 400 and set(nested.json()["error"]["fields"]) == {"filters"}
    taken = create(operator_client)
    assert create(operator_client).json()["error"]["fields"] == {"code": ["A metric with this code exists."]}
    assert taken.status_code == 201


def test_the_code_never_changes(operator_client):
    create(operator_client)
    response = operator_client.patch(f"{URL}/llm_tokens", {"code": "tokens"}, format="json")
    assert response.status_code == 400 and "code" in response.json()["error"]["fields"]
    assert operator_client.get(f"{URL}/llm_tokens").status_code == 200


def test_aggregation_changes_while_unused_and_is_fixed_once_a_plan_uses_the_metric(operator_client):
    create(operator_client)
    changed = operator_client.patch(f"{URL}/llm_tokens", {"aggregation": "max"}, format="json")
    assert changed.status_code == 200 and changed.json()["aggregation"] == "max"
    with tenancy.operator_scope():
        plan(code="ai", limits=[{"metric": "llm_tokens", "included": 1000}])
    refused = operator_client.patch(f"{URL}/llm_tokens", {"aggregation": "sum"}, format="json")
    assert refused.status_code == 409
    assert "ai" in refused.json()["error"]["message"] and "aggregation" in refused.json()["error"]["fields"]
    assert operator_client.get(f"{URL}/llm_tokens").json()["aggregation"] == "max"


def send_usage(key, metric):
    return APIClient().post("/api/v1/usage/events", {"metric": metric, "idempotency_key": "k1"}, format="json",
                            HTTP_AUTHORIZATION=f"Bearer {key}")


def test_aggregation_is_fixed_once_usage_was_recorded(operator_client, api_key_for, make_account):
    create(operator_client, code="api_calls", aggregation="count", field_name="", group_by=[])
    sent = send_usage(api_key_for(make_account(), scopes=["usage:write"]), "api_calls")
    assert sent.status_code == 202 and sent.json()["accepted"] == 1
    refused = operator_client.patch(f"{URL}/api_calls", {"aggregation": "unique_count", "field_name": "user_id"},
                                    format="json")
    assert refused.status_code == 409
    assert set(refused.json()["error"]["fields"]) == {"aggregation", "field_name"}


def test_archiving_a_metric_an_active_plan_or_a_live_subscription_needs_is_refused_naming_the_plans(
        operator_client, make_account):
    create(operator_client, code="api_calls", aggregation="count", field_name="", group_by=[])
    with tenancy.operator_scope():
        pro = plan(code="pro", limits=[{"metric": "api_calls", "included": 1000}])
        plan(code="team", limits=[{"metric": "api_calls", "included": 5000}])
    refused = operator_client.delete(f"{URL}/api_calls")
    assert refused.status_code == 409
    assert "pro, team" in refused.json()["error"]["message"]
    assert operator_client.patch(f"{URL}/api_calls", {"is_active": False}, format="json").status_code == 409
    with tenancy.operator_scope():
        subscription = subscription_create(account=make_account(), plan=pro)
        for code in ("pro", "team"):
            plan_update(plan=pro.__class__.objects.get(code=code), is_active=False)
    still = operator_client.delete(f"{URL}/api_calls")  # pro's subscriber is still metered
    assert still.status_code == 409 and "pro" in still.json()["error"]["message"]
    assert "team" not in still.json()["error"]["message"]
    with tenancy.operator_scope():
        subscription_cancel(subscription=subscription, at_period_end=False)
    assert operator_client.delete(f"{URL}/api_calls").status_code == 200


def test_an_archived_metric_takes_no_more_usage(operator_client, api_key_for, make_account):
    create(operator_client, code="api_calls", aggregation="count", field_name="", group_by=[])
    assert operator_client.delete(f"{URL}/api_calls").status_code == 200
    sent = send_usage(api_key_for(make_account(), scopes=["usage:write"]), "api_calls")
    assert sent.json()["accepted"] == 0 and sent.json()["rejected"][0]["field"] == "metric"

