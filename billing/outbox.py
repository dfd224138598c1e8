"""Domain events: recorded with the change, delivered at least once by a Celery job.

Apps register in-process handlers with `@outbox.handler("billing.invoice.created")`
(or `"*"` for every type) in their `handlers.py`, imported by their AppConfig.
Handlers must tolerate seeing an event twice: a crash after a handler ran but
before the event was marked delivered replays it. After the handlers, each configured event
sink (`billing/sinks.py`: the webhooks, a stream) gets the event in the same savepoint, so a
failing sink retries the event like a failing handler.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from billing.models import OutboxEvent
from billing.models.outbox import OutboxStatus
from billing.sinks import configured_sinks

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
MAX_ATTEMPTS = 10
BATCH_SIZE = 100


def handler(event_type: str):
    def register(func: Handler) -> Handler:
        if func not in _handlers[event_type]:
            _handlers[event_type].append(func)
        return func

    return register


def handlers_for(event_type: str) -> list[Handler]:
    return _handlers.get(event_type, []) + _handlers.get("*", [])


def event_record(*, type: str, account_id: int | None, payload: dict) -> OutboxEvent:
    """Record a domain event inside the caller's transaction; delivery follows its commit."""
    import json

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    event = OutboxEvent.objects.create(
        type=type,
        account_id=account_id,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_kick_delivery)
    return event


def event_record_many(events: list[dict]) -> None:
    """Several events (each `event_record`'s keyword arguments) in one statement, for set-based jobs,
    written as plain rows (`rows_copy`) without model instances; one delivery kick after the commit
    instead of one per event."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record_many must run inside the transaction of the change")
    if not events:
        return
    from billing.audit import json_text
    from billing.rows import rows_copy

    now = timezone.now()
    rows_copy(OutboxEvent, ["type", "account_id", "payload", "next_attempt_at"],
              [(e["type"], e["account_id"], json_text(e["payload"]), now) for e in events])
    transaction.on_commit(_kick_delivery)


def _kick_delivery() -> None:
    from billing.tasks import outbox_deliver

    try:
        outbox_deliver.delay()
    except Exception:  # the broker being down must not fail the request; beat retries
        logger.warning("outbox: could not queue delivery; the periodic job will pick it up")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts * 5, 3600))


def outbox_deliver_batch(*, limit: int = BATCH_SIZE) -> int:
    """Deliver due events. Safe to run concurrently (SKIP LOCKED) and to kill halfway."""
    delivered = 0
    now = timezone.now()
    with transaction.atomic():
        # A batch claimed in one statement (not row_lock's one row): rows another worker holds are skipped.
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("id")[:limit]
        )
        sinks = configured_sinks() if events else []
        for event in events:
            try:
                with transaction.atomic():
                    for func in handlers_for(event.type):
                        func(event)
                    for sink in sinks:
                        sink.publish(event)
            except Exception as exc:
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if event.attempts >= MAX_ATTEMPTS:
                    event.status = OutboxStatus.FAILED
                    logger.error("outbox: giving up on event %s (%s)", event.pk, event.type)
                else:
                    event.next_attempt_at = now + backoff(event.attempts)
                event.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                continue
            event.status = OutboxStatus.DELIVERED
            event.delivered_at = timezone.now()
            event.attempts += 1
            event.save(update_fields=["status", "delivered_at", "attempts"])
            delivered += 1
    return delivered
