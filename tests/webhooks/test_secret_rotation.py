"""After a rotation both signatures are sent for 24 hours, so a receiver on the old secret and one on the new
verify alike; then only the new one is."""

from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from billing import clock
from tests.webhooks.conftest import record_event
from webhooks.services import deliveries_deliver_due, endpoint_secret_rotate

pytestmark = pytest.mark.django_db


def test_old_and_new_secrets_both_verify_for_24_hours_then_only_the_new(receiver, endpoint, operator):
    endpoint, old = endpoint
    start = clock.now()
    with clock.frozen(start):
        endpoint, new = endpoint_secret_rotate(endpoint=endpoint)
        record_event()
        deliveries_deliver_due()
    assert new != old and new.startswith("whsec_")
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    later = start + timedelta(hours=24, seconds=1)
    with clock.frozen(later):
        record_event(type="billing.plan.updated", payload={"plan": "standard"})
        deliveries_deliver_due()
    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_a_second_rotation_drops_the_first_secret_at_once(receiver, endpoint, operator):
    endpoint, first = endpoint
    endpoint, second = endpoint_secret_rotate(endpoint=endpoint)
    endpoint, third = endpoint_secret_rotate(endpoint=endpoint)
    record_event()
    deliveries_deliver_due()
    request = receiver.requests[-1]
    Webhook(second).verify(request.body, request.headers)
    Webhook(third).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(first).verify(request.body, request.headers)
