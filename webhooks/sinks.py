"""The webhook sink (billing/sinks.py): each event becomes one delivery row per subscribed endpoint."""

from __future__ import annotations

from billing.models import OutboxEvent
from webhooks.services import deliveries_fan_out


class WebhookSink:
    name = "webhooks"

    def publish(self, event: OutboxEvent) -> None:
        """In the outbox's transaction and without HTTP: the rows are sent by the `webhooks.deliver` job.
        Idempotent: one row per (endpoint, event)."""
        deliveries_fan_out(event=event)
