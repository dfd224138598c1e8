"""/api/v1/webhook-endpoints through the real views: operator keys register, read, change, disable, delete,
rotate, read the deliveries with every attempt, and replay; the secret is shown only when made."""

import pytest
from standardwebhooks import Webhook

from billing import tenancy
from tests.webhooks.conftest import record_event
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_deliver_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, scopes=['billing:read', 'billing:write'])}")
    return api_client


def test_register_then_the_secret_is_never_shown_again(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {
        "url": receiver.url, "event_types": ["billing.invoice.paid", "billing.payment.failed"],
        "description": "Order system"}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["enabled"] is True
    assert body["event_types"] == ["billing.invoice.paid", "billing.payment.failed"]
    listed = operator_client.get("/api/v1/webhook-endpoints").json()["results"]
    one = operator_client.get(f"/api/v1/webhook-endpoints/{body['id']}").json()
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0] and "secret" not in one
    assert body["secret"] not in str(operator_client.get("/api/v1/audit-entries").json())


def test_all_events_is_the_default(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json")
    assert made.json()["event_types"] == ["*"]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://10.0.0.1/hook"}, "url"),
    ({"url": "https://no-such-host.invalid/"}, "url"),
    ({"url": "http://127.0.0.1:1/", "event_types": ["billing.nothing.happened"]}, "event_types"),
    ({"url": "http://127.0.0.1:1/", "event_types": []}, "event_types"),
    ({"url": "http://127.0.0.1:1/", "colour": "red"}, "colour"),
    ({"url": 42}, "url"),
])
def test_bad_registrations_are_refused_naming_the_field(operator_client, receiver, body, field):
    response = operator_client.post("/api/v1/webhook-endpoints", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_account_keys_cannot_see_or_register_endpoints(api_client, api_key_for, make_account, receiver):
    key = api_key_for(make_account(), scopes=["billing:read", "billing:write"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api_client.get("/api/v1/webhook-endpoints").status_code == 403
    assert api_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json").status_code == 403


def test_update_disable_enable_and_delete(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json").json()
    path = f"/api/v1/webhook-endpoints/{made['id']}"
    changed = operator_client.patch(path, {"description": "Data warehouse", "event_types": ["billing.plan.created"]},
                                    format="json").json()
    assert changed["description"] == "Data warehouse" and changed["event_types"] == ["billing.plan.created"]
    record_event()
    disabled = operator_client.patch(path, {"enabled": False}, format="json").json()
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "operator"
    with tenancy.operator_scope():
        assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED  # the pending one did not wait
    enabled = operator_client.patch(path, {"enabled": True}, format="json").json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] == ""
    assert operator_client.delete(path).status_code == 204
    assert operator_client.get(path).status_code == 404
    with tenancy.operator_scope():
        assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_rotate_answers_the_new_secret_once(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json").json()
    rotated = operator_client.post(f"/api/v1/webhook-endpoints/{made['id']}/rotate-secret", format="json")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != made["secret"] and rotated.json()["previous_secret_expires_at"]


def test_deliveries_show_every_attempt_and_replay_sends_again(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json").json()
    event = record_event()
    receiver.answer(503, b"maintenance")
    with tenancy.operator_scope():
        deliveries_deliver_due()
    path = f"/api/v1/webhook-endpoints/{made['id']}"
    [delivery] = operator_client.get(f"{path}/deliveries?status=pending").json()["results"]
    assert delivery["event_id"] == event.pk and delivery["message_id"] == f"evt_{event.pk}"
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 503 and attempt["response_excerpt"] == "maintenance"
    assert attempt["result"] == "failed" and isinstance(attempt["latency_ms"], int)
    assert operator_client.get(f"{path}/deliveries?status=succeeded").json()["results"] == []

    replayed = operator_client.post(f"{path}/replay", {"event_id": event.pk}, format="json")
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    with tenancy.operator_scope():
        deliveries_deliver_due()
    Webhook(made["secret"]).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    assert operator_client.post(f"{path}/replay-failed", {"since": "2026-01-01T00:00:00Z"},
                                format="json").json() == {"replayed": 0}


def test_replay_input_is_strict(operator_client, receiver):
    made = operator_client.post("/api/v1/webhook-endpoints", {"url": receiver.url}, format="json").json()
    path = f"/api/v1/webhook-endpoints/{made['id']}"
    assert "event_id" in operator_client.post(f"{path}/replay", {"event_id": "7"}, format="json").json()["error"][
        "fields"]
    assert "since" in operator_client.post(f"{path}/replay-failed", {"since": "yesterday"}, format="json").json()[
        "error"]["fields"]
    assert operator_client.post(f"{path}/replay", {"event_id": 10**12}, format="json").status_code == 404
