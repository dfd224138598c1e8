"""Webhook events: stored once per event id, processed at most once to success, retried on failure."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.audit import audit_record
from billing.context import Actor, acting_as
from billing.errors import ValidationFailed
from billing.transitions import row_lock
from payments import selectors
from payments.gateways import gateway
from payments.models import WebhookEvent, WebhookStatus
from payments.webhooks.registry import handler_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# If the queue loses the task, the periodic job processes the event after this delay.
QUEUE_GRACE = timedelta(minutes=2)


def stripe_actor(event_id: str) -> Actor:
    return Actor(type="stripe", id=event_id[:64], label="Stripe webhook")


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** attempts, 6 * 3600))


def _object_id(payload: dict) -> str:
    obj = (payload.get("data") or {}).get("object") or {}
    return str(obj.get("id", ""))[:255] if isinstance(obj, dict) else ""


SECRET_FIELDS = frozenset({"client_secret"})


def redact_secrets(value):
    """The event as stored: PaymentIntent and SetupIntent client secrets are blanked (they let a
    browser confirm the intent; nothing of ours reads them from events, and the admin shows events)."""
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in SECRET_FIELDS and v else redact_secrets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def webhook_event_receive(*, payload: dict, gateway_name: str = "stripe") -> tuple[WebhookEvent, bool]:
    """Store a verified event as received; the same event id again is acknowledged, not stored twice."""
    event_id, event_type = payload.get("id"), payload.get("type")
    errors = {}
    if not isinstance(event_id, str) or not event_id:
        errors["id"] = "An event id is required."
    if not isinstance(event_type, str) or not event_type:
        errors["type"] = "An event type is required."
    if errors:
        raise ValidationFailed(errors)
    existing = WebhookEvent.objects.filter(event_id=event_id).first()
    if existing is not None:
        return existing, False
    created_ts = payload.get("created")
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway_name, event_id=event_id, type=event_type[:100], object_id=_object_id(payload),
                payload=redact_secrets(payload), next_attempt_at=timezone.now() + QUEUE_GRACE,
                event_created_at=datetime.fromtimestamp(created_ts, tz=UTC)
                if isinstance(created_ts, int) else None,
            )
            transaction.on_commit(lambda: _enqueue(event.pk))
    except IntegrityError:  # the same event delivered twice at the same moment
        return WebhookEvent.objects.get(event_id=event_id), False
    return event, True


def _enqueue(event_pk: int) -> None:
    from payments.tasks import webhook_process

    try:
        webhook_process.delay(event_pk)
    except Exception:  # broker down: the periodic job picks the event up
        logger.warning("webhooks: could not queue event %s; the periodic job will process it", event_pk)


def webhook_event_process(*, event_pk: int, force: bool = False) -> WebhookEvent | None:
    """Run the handler of one event under a row lock. Safe to run twice: success is final unless forced."""
    with transaction.atomic():
        event = row_lock(WebhookEvent, event_pk, skip_locked=True, required=False)
        if event is None:
            return None  # another worker holds it
        if event.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED) and not force:
            return event
        before = {"status": event.status, "attempts": event.attempts}
        event.attempts += 1
        handler = handler_for(event.type)
        if handler is None:
            event.status, event.result, event.traceback = WebhookStatus.IGNORED, "Event type not handled.", ""
            event.next_attempt_at = None
        else:
            try:
                with transaction.atomic(), acting_as(stripe_actor(event.event_id)):
                    event.result = (handler(event) or "ok")[:500]
                event.status, event.traceback, event.next_attempt_at = WebhookStatus.PROCESSED, "", None
            except Exception as exc:
                logger.warning("webhooks: %s %s failed: %s", event.type, event.event_id, exc)
                event.status = WebhookStatus.FAILED
                event.result = f"{type(exc).__name__}: {exc}"[:500]
                event.traceback = traceback.format_exc()[-20000:]
                event.next_attempt_at = (timezone.now() + _retry_delay(event.attempts)
                                         if event.attempts < MAX_ATTEMPTS else None)
        event.processed_at = timezone.now()
        event.save()
        if force:
            audit_record(action="payments.webhook_event.reprocessed", instance=event, account_id=event.account_id,
                         before=before, after={"status": event.status, "attempts": event.attempts})
    return event


def webhook_event_reprocess(*, event: WebhookEvent) -> WebhookEvent | None:
    """Finance asked to run the event again (after a fix, or to re-check the current state)."""
    return webhook_event_process(event_pk=event.pk, force=True)


def webhook_events_process_due(*, limit: int = 100) -> int:
    """Process events the queue lost or that failed and are due a retry. Safe to run twice."""
    count = 0
    for pk in list(selectors.webhook_events_due(now=timezone.now(), limit=limit).values_list("pk", flat=True)):
        if webhook_event_process(event_pk=pk) is not None:
            count += 1
    return count


def webhook_events_sync(*, since: datetime, gateway_name: str = "stripe") -> tuple[int, list[int]]:
    """Fetch events from the gateway's events API, store those we missed and process them (oldest first).

    Returns (events seen at the gateway, ids of the events that were new to us).
    """
    seen, new = 0, []
    for remote in sorted(gateway(gateway_name).events_list(since=since), key=lambda e: (e.created, e.id)):
        seen += 1
        event, created = webhook_event_receive(payload=remote.payload, gateway_name=gateway_name)
        if created:
            new.append(event.pk)
    for pk in new:
        webhook_event_process(event_pk=pk)  # a no-op for those the queue already processed
    return seen, new
