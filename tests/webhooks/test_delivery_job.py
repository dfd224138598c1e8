"""The delivery job is safe to run twice and to kill halfway: a claimed delivery is not claimed again until its
claim lapses, and one left unattempted by a killed job falls due again then."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from tests.webhooks.conftest import record_event
from webhooks import tasks
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services.deliveries import deliveries_claim

pytestmark = pytest.mark.django_db


def test_a_claimed_delivery_is_not_claimed_twice_and_a_lapsed_claim_is_taken_again(endpoint, operator, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 15
    start = clock.now()
    with clock.frozen(start):
        event = record_event()
        [claimed] = deliveries_claim()
        assert deliveries_claim() == []  # a second job running meanwhile
    with clock.frozen(start + timedelta(seconds=74)):
        assert deliveries_claim() == []  # the first job may still be attempting it
    with clock.frozen(start + timedelta(seconds=75)):  # the first job was killed: the claim lapsed
        assert deliveries_claim() == [claimed]
    assert WebhookDelivery.objects.get(pk=claimed).event_id == event.pk


def test_the_celery_task_sends_every_due_delivery(receiver, endpoint):
    record_event()
    record_event(type="billing.plan.updated", payload={"plan": "standard"})
    assert tasks.deliver.apply().get() == 2  # in the operator scope, as every job
    with tenancy.operator_scope():
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert len(receiver.requests) == 2
