import pytest
from django.db import transaction

from billing import outbox, tenancy
from tests.webhooks.receiver import serve


@pytest.fixture
def receiver(settings):
    """A local receiver; loopback allowed for the test (WEBHOOK_ALLOWED_NETWORKS)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    found, stop = serve()
    yield found
    stop()


@pytest.fixture
def endpoint(receiver, operator):
    """An endpoint of the receiver for every event: (endpoint, secret)."""
    from webhooks.services import endpoint_create

    return endpoint_create(url=receiver.url, event_types=["*"], description="test receiver")


def record_event(type="billing.plan.created", payload=None, account_id=None):
    """Record an event and run the outbox once (the webhook sink fans it out)."""
    with tenancy.operator_scope():
        with transaction.atomic():
            event = outbox.event_record(type=type, account_id=account_id,
                                        payload=payload if payload is not None else {"plan": "standard", "version": 1})
        outbox.outbox_deliver_batch()
    return event
