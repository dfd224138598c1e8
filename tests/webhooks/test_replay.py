"""Finance replays one event, or every failed delivery since a time, once the receiver works again."""

from datetime import timedelta

import pytest

from billing import clock
from billing.errors import Conflict, NotFound, ValidationFailed
from tests.webhooks.conftest import record_event
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import (
    deliveries_deliver_due,
    deliveries_replay_failed,
    delivery_replay,
    endpoint_create,
    endpoint_update,
)

pytestmark = pytest.mark.django_db


def test_one_event_is_sent_again_with_the_same_webhook_id(receiver, endpoint, operator):
    endpoint, _ = endpoint
    event = record_event()
    deliveries_deliver_due()
    delivery = delivery_replay(endpoint=endpoint, event_id=event.pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.replayed_at is not None
    assert deliveries_deliver_due() == 1
    first, again = receiver.requests
    assert first.headers["webhook-id"] == again.headers["webhook-id"] and first.body == again.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_log.count() == 2


def test_an_event_older_than_the_endpoint_can_be_sent_to_it(receiver, operator):
    event = record_event()
    endpoint, _ = endpoint_create(url=receiver.url, event_types=["billing.plan.created"])
    delivery_replay(endpoint=endpoint, event_id=event.pk)
    assert deliveries_deliver_due() == 1 and len(receiver.requests) == 1


def test_replay_refuses_unknown_unsubscribed_and_disabled(receiver, operator):
    event = record_event()
    endpoint, _ = endpoint_create(url=receiver.url, event_types=["billing.plan.updated"])
    with pytest.raises(NotFound):
        delivery_replay(endpoint=endpoint, event_id=event.pk + 1000)
    with pytest.raises(ValidationFailed):
        delivery_replay(endpoint=endpoint, event_id=event.pk)
    endpoint_update(endpoint=endpoint, enabled=False)
    with pytest.raises(Conflict):
        deliveries_replay_failed(endpoint=endpoint, since=clock.now())


def test_every_failed_delivery_since_a_time_is_sent_again_and_no_other(receiver, endpoint, operator):
    endpoint, _ = endpoint
    start = clock.now()
    with clock.frozen(start - timedelta(days=2)):
        old = record_event()
    with clock.frozen(start):
        recent = record_event(type="billing.plan.updated", payload={"plan": "standard"})
        ok = record_event(type="billing.plan.created", payload={"plan": "pro", "version": 1})
    WebhookDelivery.objects.filter(event_id__in=[old.pk, recent.pk]).update(status=DeliveryStatus.FAILED)
    WebhookDelivery.objects.filter(event_id=ok.pk).update(status=DeliveryStatus.SUCCEEDED)
    with clock.frozen(start + timedelta(hours=1)):
        assert deliveries_replay_failed(endpoint=endpoint, since=start - timedelta(hours=1)) == 1
        assert deliveries_deliver_due() == 1
    [request] = receiver.requests
    assert request.headers["webhook-id"] == f"evt_{recent.pk}"
    assert WebhookDelivery.objects.get(event_id=old.pk).status == DeliveryStatus.FAILED
