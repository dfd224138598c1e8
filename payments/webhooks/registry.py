"""Handlers by Stripe event type. Each takes the stored event and returns a short result text.

Handlers never trust the order of events: they re-read the object's current
state from the gateway (or compare with ours) and move our state forward only.
"""

from __future__ import annotations

from collections.abc import Callable

from payments.models import WebhookEvent

Handler = Callable[[WebhookEvent], str]
_handlers: dict[str, Handler] = {}


def webhook_handler(*event_types: str):
    def register(func: Handler) -> Handler:
        for event_type in event_types:
            _handlers[event_type] = func
        return func

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def handled_types() -> list[str]:
    return sorted(_handlers)
