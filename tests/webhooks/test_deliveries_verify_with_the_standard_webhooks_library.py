"""A delivery reaches a real HTTP receiver signed so that `standardwebhooks.Webhook(secret).verify()` accepts
it, exactly as a receiver checks it; the body is the catalog's envelope."""

import json

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from billing.api.views import API_VERSION
from tests.webhooks.conftest import record_event
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import deliveries_deliver_due

pytestmark = pytest.mark.django_db


def test_a_delivery_verifies_with_the_library_and_carries_the_envelope(receiver, endpoint, operator):
    endpoint, secret = endpoint
    event = record_event(type="billing.plan.created", payload={"plan": "standard", "version": 1})
    assert deliveries_deliver_due() == 1

    [request] = receiver.requests
    assert request.path == "/hooks/billing"
    body = Webhook(secret).verify(request.body, request.headers)
    assert body == {"id": f"evt_{event.pk}", "type": "billing.plan.created", "timestamp": body["timestamp"],
                    "api_version": API_VERSION, "account_id": None, "object_version": event.pk,
                    "data": {"plan": "standard", "version": 1}}
    assert request.headers["webhook-id"] == f"evt_{event.pk}"
    assert request.headers["content-type"] == "application/json"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    [attempt] = delivery.attempt_log.all()
    assert attempt.result == "succeeded" and attempt.status_code == 200 and attempt.response_excerpt == "ok"


def test_another_secret_or_a_changed_body_does_not_verify(receiver, endpoint, operator):
    _, secret = endpoint
    record_event()
    deliveries_deliver_due()
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    tampered = json.loads(request.body) | {"account_id": 99}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(json.dumps(tampered).encode(), request.headers)


def test_an_endpoint_receives_only_the_types_it_subscribed_to(receiver, operator):
    from webhooks.services import endpoint_create

    endpoint_create(url=receiver.url, event_types=["billing.plan.updated"])
    record_event(type="billing.plan.created")
    record_event(type="billing.plan.updated", payload={"plan": "standard"})
    record_event(type="invoicing.collection_requested", payload={})  # internal: never leaves
    deliveries_deliver_due()
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["billing.plan.updated"]


def test_an_event_the_outbox_retries_is_fanned_out_once_per_endpoint(endpoint, operator):
    from billing.models import OutboxEvent
    from webhooks.sinks import WebhookSink

    event = record_event()
    WebhookSink().publish(OutboxEvent.objects.get(pk=event.pk))  # as a retried outbox event would
    assert WebhookDelivery.objects.filter(event_id=event.pk).count() == 1


def test_the_same_webhook_id_on_every_retry(receiver, endpoint, operator):
    from datetime import timedelta

    from billing import clock

    record_event()
    receiver.answer(500)
    now = clock.now()
    with clock.frozen(now):
        deliveries_deliver_due()
    with clock.frozen(now + timedelta(seconds=5)):
        deliveries_deliver_due()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
