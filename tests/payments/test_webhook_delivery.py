"""End to end: localstripe itself signs and POSTs an event to our running server, which accepts it."""

import json
import time
import urllib.request
import uuid

import pytest

from billing import tenancy
from payments.models import WebhookEvent

from .conftest import WEBHOOK_SECRET

WAIT_SECONDS = 20


def configure_webhook(localstripe_url, hook_id, url, events):
    body = json.dumps({"url": url, "secret": WEBHOOK_SECRET, "events": events}).encode()
    request = urllib.request.Request(f"{localstripe_url}/_config/webhooks/{hook_id}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 (our own local URL)
        pass


@pytest.mark.django_db(transaction=True)
def test_a_webhook_signed_by_the_stripe_stand_in_is_stored(live_server, stripe_gateway, stripe_client,
                                                           localstripe_url):
    hook_id = f"test-{uuid.uuid4().hex[:8]}"
    configure_webhook(localstripe_url, hook_id, f"{live_server.url}/webhooks/stripe/", ["customer.created"])
    try:
        customer = stripe_client.v1.customers.create(params={"name": "Delivered"})
        deadline = time.monotonic() + WAIT_SECONDS
        event = None
        # The row is committed before its processing (an on-commit task) finishes: wait for both.
        while (event is None or event.status == "received") and time.monotonic() < deadline:
            with tenancy.operator_scope():
                event = WebhookEvent.objects.filter(object_id=customer.id).first()
            time.sleep(0.2)
    finally:  # stop sending to this server once the test is over
        configure_webhook(localstripe_url, hook_id, "http://127.0.0.1:9/", [])
    assert event is not None, "localstripe's signed delivery was not accepted"
    assert (event.type, event.status) == ("customer.created", "ignored")
