"""The receiver in docs/events.md ("Verifying a delivery") accepts a real delivery, once per event id, and
refuses a tampered one."""

import re
import types
from pathlib import Path

import pytest
from django.http import HttpResponse

from tests.webhooks.conftest import record_event
from webhooks.services import deliveries_deliver_due

pytestmark = pytest.mark.django_db
PAGE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def receiver_code() -> str:
    return re.search(r"<!-- receiver-example -->\n```python\n(.*?)```", PAGE.read_text(), re.DOTALL)[1]


def test_the_documented_receiver_verifies_a_real_delivery(receiver, endpoint, operator):
    _, secret = endpoint
    code = receiver_code()
    assert len([line for line in code.splitlines() if line.strip()]) <= 11  # "in ten lines", give or take the import
    handled, processed = [], set()
    namespace = {"os": types.SimpleNamespace(environ={"BILLING_WEBHOOK_SECRET": secret}), "HttpResponse": HttpResponse,
                 "already_processed": lambda event_id: event_id in processed or processed.add(event_id),
                 "handle": lambda event_type, data: handled.append((event_type, data))}
    exec(compile(code, str(PAGE), "exec"), namespace)  # noqa: S102 (our own documentation)

    record_event(type="billing.plan.created", payload={"plan": "standard", "version": 1})
    deliveries_deliver_due()
    [delivery] = receiver.requests
    request = types.SimpleNamespace(body=delivery.body, headers=delivery.headers)
    assert namespace["receive"](request).status_code == 204
    assert namespace["receive"](request).status_code == 204  # a retry: acknowledged, not handled again
    assert handled == [("billing.plan.created", {"plan": "standard", "version": 1})]
    tampered = types.SimpleNamespace(body=delivery.body.replace(b"standard", b"premium"), headers=delivery.headers)
    assert namespace["receive"](tampered).status_code == 400
