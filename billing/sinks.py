"""Where recorded events go besides the in-process handlers: the configured event sinks.

A sink hands each outbox event on to something outside this process (the operator's webhook
endpoints, a stream). The outbox dispatcher (`billing.outbox.outbox_deliver_batch`) calls every
configured sink for each event, after the handlers and inside the same savepoint: a sink that
raises makes the whole event retry later with the outbox's backoff, so a sink must accept the
same event twice (idempotent per `event.id`). `EVENT_SINKS` (billing/conf.py) lists the sinks'
classes as dotted paths; each is built once per process. docs/events.md, "Writing a sink".
"""

from __future__ import annotations

import json
from functools import cache
from typing import Protocol, runtime_checkable

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from billing.api.version import API_VERSION
from billing.models import OutboxEvent

# Event types outside the catalog (`invoicing.*`, `payments.*`, ...) are our own apps' business and
# stay inside; the catalog's are all `billing.*` (a test checks it, tests/webhooks/test_event_catalog.py).
PUBLIC_PREFIX = "billing."


def is_public_event(event_type: str) -> bool:
    return event_type.startswith(PUBLIC_PREFIX)


def event_message_id(event_id: int) -> str:
    """The id a receiver deduplicates on: the same for every retry, replay, endpoint and sink."""
    return f"evt_{event_id}"


def event_envelope_json(event: OutboxEvent) -> str:
    """What every sink sends for an event: the webhook body (docs/events.md) is the stream's message."""
    return json.dumps({
        "id": event_message_id(event.pk), "type": event.type, "timestamp": event.created_at,
        "api_version": API_VERSION, "account_id": event.account_id, "object_version": event.pk,
        "data": event.payload,
    }, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


@runtime_checkable
class EventSink(Protocol):
    name: str

    def publish(self, event: OutboxEvent) -> None:
        """Hand one event on. Idempotent per event.id; raising makes the outbox retry the event later."""


def configured_sinks() -> list[EventSink]:
    """The sinks EVENT_SINKS names, built once per process (per distinct setting, for tests)."""
    from billing import conf

    return list(_built(tuple(conf.settings.EVENT_SINKS)))


@cache
def _built(paths: tuple[str, ...]) -> tuple[EventSink, ...]:
    return tuple(import_string(path)() for path in paths)


def sink_path_problem(paths: list[str]) -> str | None:
    """EVENT_SINKS's start-up rule: each path names a class that can be built and has the sink's shape."""
    for path in paths:
        try:
            sink_class = import_string(path)
        except ImportError:
            return f"{path!r} is not an importable class (a dotted path such as webhooks.sinks.WebhookSink)"
        if not isinstance(sink_class, type) or not callable(getattr(sink_class, "publish", None)):
            return f"{path!r} is not an event sink class (it needs a name and publish(event))"
    return None
