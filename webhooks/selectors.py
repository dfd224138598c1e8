"""Reads of the webhooks app."""

from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_deliveries(*, endpoint: WebhookEndpoint, status: str | None = None,
                        event_type: str | None = None) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, with their attempts (one query for all of a page's)."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("attempt_log")
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event_type=event_type)
    return deliveries.order_by("-id")
