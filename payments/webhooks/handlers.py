"""Handlers for payment-method and customer events. They re-read the current state from the gateway,
so duplicated, late or shuffled events all end in the same (current) state."""

from __future__ import annotations

from billing.errors import NotFound
from payments import selectors
from payments.gateways import GatewayError, MethodDetails, gateway
from payments.models import WebhookEvent
from payments.services.customers import gateway_customer_mark_deleted
from payments.services.methods import (
    payment_method_record,
    payment_method_remove,
    payment_method_set_default,
    payment_method_setup_complete,
)

from .registry import webhook_handler


def event_object(event: WebhookEvent) -> dict:
    """The Stripe object a webhook event is about (`data.object`), or {} when the payload has none."""
    return (event.payload.get("data") or {}).get("object") or {}


@webhook_handler("setup_intent.succeeded", "setup_intent.setup_failed")
def setup_intent_changed(event: WebhookEvent) -> str:
    setup = selectors.payment_setup_by_gateway_id(gateway_id=event.object_id)
    if setup is None:
        return "Not a setup we started; nothing to do."
    event.account_id = setup.account_id
    setup = payment_method_setup_complete(setup=setup)
    return f"Setup is {setup.status}."


@webhook_handler("payment_method.attached", "payment_method.detached", "payment_method.updated")
def payment_method_changed(event: WebhookEvent) -> str:
    gw = gateway(event.gateway)
    try:
        details = gw.method_retrieve(event.object_id)
    except GatewayError as exc:
        if exc.code != "resource_missing":
            raise
        details = MethodDetails(id=event.object_id, type="", customer_id=None)
    known = selectors.payment_method_by_gateway_id(gateway_name=event.gateway, gateway_id=event.object_id)
    customer = (selectors.gateway_customer_by_id(gateway_name=event.gateway, customer_id=details.customer_id)
                if details.customer_id else None)
    if customer is not None and customer.deleted_at is None:
        event.account_id = customer.account_id
        method = payment_method_record(account_id=customer.account_id, gateway_name=event.gateway, details=details)
        return f"Payment method {method.pk} is attached and up to date."
    if known is not None:
        event.account_id = known.account_id
        if known.removed_at is None:
            payment_method_remove(method=known, detach=False)
            return f"Payment method {known.pk} is no longer attached: removed."
        return f"Payment method {known.pk} was already removed."
    return "Not one of our customers' payment methods."


@webhook_handler("customer.updated", "customer.deleted")
def customer_changed(event: WebhookEvent) -> str:
    customer = selectors.gateway_customer_by_id(gateway_name=event.gateway, customer_id=event.object_id)
    if customer is None:
        return "Not one of our customers."
    event.account_id = customer.account_id
    remote = gateway(event.gateway).customer_retrieve(customer.customer_id)
    if remote.deleted:
        gateway_customer_mark_deleted(customer=customer)
        return "Customer deleted at the gateway: its payment methods were removed."
    if customer.deleted_at is not None:
        return "Customer already marked deleted."
    if remote.default_method_id:
        method = selectors.payment_methods_of(account_id=customer.account_id).filter(
            gateway=event.gateway, gateway_id=remote.default_method_id).first()
        if method is None:  # attached in Stripe, its own event not here yet: record it from Stripe's state
            details = gateway(event.gateway).method_retrieve(remote.default_method_id)
            if details.customer_id != customer.customer_id:
                raise NotFound(f"Default payment method {remote.default_method_id} is not attached; will retry.")
            method = payment_method_record(account_id=customer.account_id, gateway_name=event.gateway,
                                           details=details)
        if not method.is_default:
            payment_method_set_default(method=method, sync_gateway=False)
            return f"Default payment method is now {method.pk}."
    return "Customer up to date."
