"""Where recorded events go besides the in-process handlers: the configured event sinks.

A sink hands each outbox event on to something outside this process (the operator's webhook
endpoints, a stream). The outbox dispatcher (`billing.outbox.outbox_deliver_batch`) calls every
configured sink for each event, after the handlers and inside the same savepoint: a sink that
raises makes the whole event retry later with the outbox's backoff, so a sink must accept the
same event twice (idempotent per `event.id`). `EVENT_SINKS` (billing/conf.py) lists the sinks'
classes as dotted paths; each is built once per process. docs/events.md, "Writing a sink".
"""

from __future__ import annotations

from functools import cache
from typing import Protocol, runtime_checkable

from django.utils.module_loading import import_string

from billing.models import OutboxEvent


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
