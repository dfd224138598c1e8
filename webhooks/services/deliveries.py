"""Deliveries: fanned out from the outbox, sent by a Celery job on the retry schedule, replayed on demand.

`deliveries_fan_out` runs inside the outbox's transaction (the webhook sink, webhooks/sinks.py): one row
per enabled endpoint that wants the event, and no HTTP. `deliveries_deliver_due` (the `webhooks.deliver`
job, every 5 s and kicked after each fan-out) sends the due rows in three steps, so that it is safe to
run twice and to kill halfway: it **claims** a batch (SKIP LOCKED, the claim pushes `next_attempt_at`
past the time an attempt can take, then commits), **attempts** each one outside any transaction, and
**records** each answer in a transaction of its own. A job killed after a claim leaves rows that fall
due again when the claim lapses: at least once, like the outbox.

Failed attempts are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (the
billing clock's time, so time travel drives them); a `Retry-After` on 429, 502, 503 or 504 replaces the
wait (at most a day). After the last retry fails, or at once on `410 Gone`, the endpoint is disabled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record
from billing.errors import Conflict, NotFound, ValidationFailed
from billing.metric_store import Counter  # counted in workers, served by the web's /metrics
from billing.models import OutboxEvent
from billing.sinks import event_envelope_json
from webhooks import catalog, conf, transport
from webhooks.models import (
    AttemptResult,
    DeliveryStatus,
    DisabledReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.services.endpoints import endpoint_disable, secrets_in_use
from webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

RETRY_SCHEDULE = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                  timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20),
                  timedelta(hours=24)]
MAX_ATTEMPTS = 1 + len(RETRY_SCHEDULE)
RETRY_AFTER_STATUSES = (429, 502, 503, 504)
LONGEST_RETRY_AFTER = timedelta(hours=24)
GONE = 410
BATCH_SIZE = 20
DELIVERIES = Counter("billing_webhook_deliveries_total", "Webhook delivery attempts by result", ["result"])


def delivery_body(event: OutboxEvent) -> str:
    """The JSON a delivery of `event` sends (webhooks/catalog.py, ENVELOPE_PROPERTIES)."""
    return event_envelope_json(event)


def deliveries_fan_out(*, event: OutboxEvent) -> int:
    """One pending delivery per enabled endpoint that wants `event`, in the caller's (the outbox's)
    transaction; an event fanned out before (the outbox retried it) adds no row. Returns how many
    endpoints want it."""
    if not catalog.is_public(event.type):
        return 0
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(enabled=True).only("id", "event_types")
                 if endpoint.wants(event.type)]
    if not endpoints:
        return 0
    now, body = clock.now(), delivery_body(event)
    made = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(account_id=event.account_id, endpoint_id=endpoint.pk, event_id=event.pk,
                         event_type=event.type, body=body, next_attempt_at=now, created_at=now)
         for endpoint in endpoints], ignore_conflicts=True)
    transaction.on_commit(_kick_delivery)
    return len(made)


def _kick_delivery() -> None:
    from webhooks.tasks import deliver

    try:
        deliver.delay()
    except Exception:  # the broker being down must not fail the outbox; beat runs the job every 5 s
        logger.warning("webhooks: could not queue delivery; the periodic job will pick it up")


def deliveries_claim(*, limit: int = BATCH_SIZE) -> list[int]:
    """Claim up to `limit` due deliveries of enabled endpoints for one attempt each (committed at once)."""
    now = clock.now()
    claim = timedelta(seconds=conf.settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    with transaction.atomic():
        ids = list(WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
                   .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + claim)
    return ids


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Send one claimed delivery and record the answer. Returns the attempt's result."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING or not delivery.endpoint.enabled:
        return None
    body = delivery.body.encode()
    headers = signed_headers(message_id=delivery.message_id, body=body, at=timezone.now(),
                             secrets_in_use=secrets_in_use(delivery.endpoint, at=clock.now()))
    answer = transport.post(delivery.endpoint.url, body, headers)
    return delivery_attempt_record(delivery_id=delivery_id, answer=answer)


def deliveries_deliver_due(*, limit: int = BATCH_SIZE) -> int:
    """Claim, attempt and record one batch of due deliveries. Returns how many were attempted."""
    attempted = 0
    for delivery_id in deliveries_claim(limit=limit):
        try:
            if delivery_attempt(delivery_id=delivery_id) is not None:
                attempted += 1
        except Exception:  # one bad row must not hold up the others; its claim lapses and it is retried
            logger.exception("webhooks: delivery %s could not be attempted", delivery_id)
    return attempted


@transaction.atomic
def delivery_attempt_record(*, delivery_id: int, answer: transport.Answer) -> str:
    """Log the attempt, then: succeeded; or retried on the schedule; or, after the last retry or on 410,
    failed with its endpoint disabled."""
    # The endpoint first, then the delivery: the order in which disabling and replaying lock them.
    endpoint_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).get()
    WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=endpoint_id).first()
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    now = clock.now()
    if answer.succeeded:
        result = AttemptResult.SUCCEEDED
    elif answer.status == GONE:
        result = AttemptResult.GONE
    elif delivery.attempts + 1 >= MAX_ATTEMPTS:
        result = AttemptResult.EXHAUSTED
    else:
        result = AttemptResult.FAILED
    still_pending = delivery.status == DeliveryStatus.PENDING  # not replayed or disabled meanwhile
    next_attempt_at = None
    if still_pending:
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status_code = now, answer.status
        delivery.last_error = (answer.error or (f"HTTP {answer.status}" if not answer.succeeded else ""))[:500]
        if result == AttemptResult.FAILED:
            next_attempt_at = now + retry_wait(delivery.attempts, answer)
            delivery.next_attempt_at = next_attempt_at
        else:
            delivery.status = DeliveryStatus.SUCCEEDED if answer.succeeded else DeliveryStatus.FAILED
            delivery.next_attempt_at, delivery.finished_at = None, now
        delivery.save()
    WebhookAttempt.objects.create(delivery=delivery, attempted_at=now, result=result, status_code=answer.status,
                                  latency_ms=answer.latency_ms, response_excerpt=answer.excerpt[:1000],
                                  error=answer.error[:500], next_attempt_at=next_attempt_at)
    if still_pending and result == AttemptResult.GONE:
        endpoint_disable(endpoint=delivery.endpoint_id, reason=DisabledReason.GONE,
                         detail=f"410 Gone for event {delivery.message_id}")
    elif still_pending and result == AttemptResult.EXHAUSTED:
        endpoint_disable(endpoint=delivery.endpoint_id, reason=DisabledReason.FAILING,
                         detail=f"event {delivery.message_id} failed {MAX_ATTEMPTS} attempts: "
                                f"{delivery.last_error}"[:500])
    DELIVERIES.inc(result=result)
    return result


def retry_wait(attempts: int, answer: transport.Answer) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the schedule's, or the receiver's `Retry-After`."""
    wait = RETRY_SCHEDULE[attempts - 1]
    if answer.status in RETRY_AFTER_STATUSES and answer.retry_after:
        asked = _retry_after(answer.retry_after)
        if asked is not None:
            wait = min(max(asked, timedelta(seconds=1)), LONGEST_RETRY_AFTER)
    return wait


def _retry_after(value: str) -> timedelta | None:
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return moment - timezone.now()


def _requeue(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, now
    delivery.finished_at, delivery.replayed_at = None, now


@transaction.atomic
def delivery_replay(*, endpoint: WebhookEndpoint | int, event_id: int) -> WebhookDelivery:
    """Send one event to an endpoint again now, with a fresh retry schedule (or for the first time: an
    event older than the endpoint). Same `webhook-id`: a receiver that processed it already can tell."""
    endpoint = _enabled_endpoint(endpoint)
    now = clock.now()
    delivery = WebhookDelivery.objects.select_for_update().filter(endpoint=endpoint, event_id=event_id).first()
    if delivery is None:
        event = OutboxEvent.objects.filter(pk=event_id).first()
        if event is None or not catalog.is_public(event.type):
            raise NotFound("No such event.", fields={"event_id": [str(event_id)]})
        if not endpoint.wants(event.type):
            raise ValidationFailed({"event_id": f"The endpoint does not subscribe to {event.type}."})
        delivery = WebhookDelivery(account_id=event.account_id, endpoint=endpoint, event_id=event.pk,
                                   event_type=event.type, body=delivery_body(event), created_at=now)
    _requeue(delivery, now)
    delivery.save()
    audit_record(action="webhook_delivery.replayed", instance=endpoint, after={"event_id": event_id})
    transaction.on_commit(_kick_delivery)
    return delivery


@transaction.atomic
def deliveries_replay_failed(*, endpoint: WebhookEndpoint | int, since: datetime) -> int:
    """Send again every failed delivery of an endpoint whose event came at or after `since`. Returns how many."""
    endpoint = _enabled_endpoint(endpoint)
    now = clock.now()
    count = (WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.FAILED, created_at__gte=since)
             .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, finished_at=None,
                     replayed_at=now))
    audit_record(action="webhook_delivery.failed_replayed", instance=endpoint,
                 after={"since": since, "deliveries": count})
    if count:
        transaction.on_commit(_kick_delivery)
    return count


def _enabled_endpoint(endpoint: WebhookEndpoint | int) -> WebhookEndpoint:
    pk = endpoint.pk if isinstance(endpoint, WebhookEndpoint) else endpoint
    found = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such webhook endpoint.")
    if not found.enabled:
        raise Conflict("The endpoint is disabled: enable it before replaying to it.",
                       fields={"enabled": ["false"]})
    return found
