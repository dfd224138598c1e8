"""Webhook endpoints: registered, changed, disabled, deleted, and their secrets rotated.

A URL is checked when it is registered or changed (http or https, a host that resolves to public
addresses only, unless WEBHOOK_ALLOWED_NETWORKS allows it: webhooks/addresses.py), and again before
every delivery. The secret is returned by `endpoint_create` and `endpoint_secret_rotate` only; the
audit trail never holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from billing import clock
from billing.audit import audit_record
from billing.errors import ValidationFailed, value_checked
from billing.outbox import event_record
from webhooks import catalog
from webhooks.addresses import AddressRefused, resolve
from webhooks.models import (
    ALL_EVENTS,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
)
from webhooks.signing import secret_new

PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
# Recorded when a delivery problem disables an endpoint: finance is emailed from it (webhooks/handlers.py).
ENDPOINT_DISABLED = "webhooks.endpoint.disabled"
EDITABLE = ("url", "event_types", "description", "enabled")


def snapshot(endpoint: WebhookEndpoint) -> dict:
    """What the audit trail keeps of an endpoint: everything but its secrets."""
    return {"url": endpoint.url, "event_types": list(endpoint.event_types), "description": endpoint.description,
            "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason}


def url_checked(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationFailed({"url": "This field is required."})
    try:
        resolve(url)
    except AddressRefused as exc:
        raise ValidationFailed({"url": str(exc)}) from None
    return url


def event_types_checked(event_types: list[str]) -> list[str]:
    if not event_types:
        raise ValidationFailed({"event_types": f'Name at least one event type, or "{ALL_EVENTS}" for all.'})
    unknown = [name for name in event_types if name != ALL_EVENTS and not catalog.is_public(name)]
    if unknown:
        raise ValidationFailed({"event_types": f"Not in the event catalog (docs/events.md): {', '.join(unknown)}."})
    return [ALL_EVENTS] if ALL_EVENTS in event_types else sorted(set(event_types))


@transaction.atomic
def endpoint_create(*, url: str, event_types: list[str], description: str = "",
                    enabled: bool = True) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret, which is not shown again."""
    errors = {}
    url = value_checked(url_checked, url, errors)
    event_types = value_checked(event_types_checked, event_types, errors)
    if errors:
        raise ValidationFailed(errors)
    secret = secret_new()
    endpoint = WebhookEndpoint.objects.create(
        url=url, event_types=event_types, description=(description or "").strip(), enabled=enabled, secret=secret,
        disabled_reason="" if enabled else DisabledReason.OPERATOR, disabled_at=None if enabled else clock.now())
    audit_record(action="webhook_endpoint.created", instance=endpoint, after=snapshot(endpoint))
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint | int, **changes) -> WebhookEndpoint:
    """Change the URL, the event types, the description, or enable or disable it (`enabled`)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"endpoint_update cannot change {sorted(unknown)}")
    endpoint = _locked(endpoint)
    before = snapshot(endpoint)
    if "url" in changes and changes["url"] != endpoint.url:
        endpoint.url = url_checked(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = event_types_checked(changes["event_types"])
    if "description" in changes:
        endpoint.description = (changes["description"] or "").strip()
    endpoint.save()
    if changes.get("enabled") is False and endpoint.enabled:
        _disable(endpoint, DisabledReason.OPERATOR)
    elif changes.get("enabled") is True and not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
        endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])
    audit_record(action="webhook_endpoint.updated", instance=endpoint, before=before, after=snapshot(endpoint))
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint: WebhookEndpoint | int, reason: str, detail: str = "") -> WebhookEndpoint:
    """Stop sending to an endpoint; its pending deliveries fail now (finance can replay them once it is
    enabled again). Disabled by a delivery (410 Gone, the last retry failed), finance is emailed."""
    endpoint = _locked(endpoint)
    if not endpoint.enabled:
        return endpoint
    before = snapshot(endpoint)
    _disable(endpoint, reason)
    audit_record(action="webhook_endpoint.disabled", instance=endpoint, before=before,
                 after=snapshot(endpoint) | {"detail": detail})
    if reason != DisabledReason.OPERATOR:
        event_record(type=ENDPOINT_DISABLED, account_id=None, payload={
            "endpoint_id": endpoint.pk, "url": endpoint.url, "reason": reason, "detail": detail,
            "disabled_at": endpoint.disabled_at})
    return endpoint


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    now = clock.now()
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, finished_at=now, next_attempt_at=None,
        last_error=f"not sent: the endpoint was disabled ({DisabledReason(reason).label.lower()})")


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint | int) -> None:
    """Forget an endpoint with its deliveries and their attempts (the audit trail keeps that it was)."""
    endpoint = _locked(endpoint)
    audit_record(action="webhook_endpoint.deleted", instance=endpoint, before=snapshot(endpoint))
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint | int) -> tuple[WebhookEndpoint, str]:
    """A new secret, returned once; the one it replaces still signs for 24 hours (both signatures are
    sent), so the receiver can switch without losing a delivery. A secret older than that is dropped."""
    endpoint = _locked(endpoint)
    secret = secret_new()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_expires_at = clock.now() + PREVIOUS_SECRET_LIFETIME
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(action="webhook_endpoint.secret_rotated", instance=endpoint,
                 after={"previous_secret_expires_at": endpoint.previous_secret_expires_at})
    return endpoint, secret


def secrets_in_use(endpoint: WebhookEndpoint, *, at: datetime) -> list[str]:
    """The secrets a delivery is signed with at `at` (billing clock): the current one, and the previous
    one during the 24 hours after a rotation."""
    in_use = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > at:
        in_use.append(endpoint.previous_secret)
    return in_use


def _locked(endpoint: WebhookEndpoint | int) -> WebhookEndpoint:
    from billing.errors import NotFound

    pk = endpoint.pk if isinstance(endpoint, WebhookEndpoint) else endpoint
    # NO KEY UPDATE: a fan-out adding deliveries (which share-lock the key) need not wait for it.
    found = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such webhook endpoint.")
    return found
