"""Thin Celery tasks: each one calls a service."""

from celery import shared_task

from webhooks.services import deliveries_deliver_due


@shared_task(name="webhooks.deliver", ignore_result=True)
def deliver() -> int:
    """Send due deliveries, batch after batch, until none is due."""
    total = 0
    while True:
        attempted = deliveries_deliver_due()
        total += attempted
        if attempted == 0:
            return total
