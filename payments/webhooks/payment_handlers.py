"""Handlers for payment, charge, refund and dispute events.

PaymentIntent and charge events re-read the intent from the gateway, so the final
state is Stripe's current one whatever the order. Disputes cannot be re-read from
every stand-in, so their (signed) payload is applied monotonically: a closed
dispute never reopens.
"""

from __future__ import annotations

from payments.gateways import gateway
from payments.models import Payment, WebhookEvent
from payments.services.charging import payment_apply_result
from payments.services.disputes import dispute_record
from payments.services.refunds import payment_refunds_sync

from .handlers import event_object
from .registry import webhook_handler


def _payment_for(intent_id: str = "", charge_id: str = "", reference: str = "") -> Payment | None:
    if intent_id:
        found = Payment.objects.filter(gateway_payment_id=intent_id).first()
        if found:
            return found
    if charge_id:
        found = Payment.objects.filter(gateway_charge_id=charge_id).first()
        if found:
            return found
    return Payment.objects.filter(reference=reference).first() if reference else None


def _sync(event: WebhookEvent, payment: Payment, intent_id: str) -> str:
    event.account_id = payment.account_id
    result = gateway(payment.gateway).payment_retrieve(intent_id)
    payment = payment_apply_result(payment=payment, result=result)
    added = payment_refunds_sync(payment=payment) if result.amount_refunded > payment.amount_refunded else 0
    payment.refresh_from_db()
    return f"Payment {payment.pk} is {payment.status}" + (f"; {added} refund(s) recorded." if added else ".")


@webhook_handler("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.requires_action",
                 "payment_intent.canceled", "payment_intent.processing")
def payment_intent_changed(event: WebhookEvent) -> str:
    intent = event_object(event)
    payment = _payment_for(intent_id=intent.get("id", ""), reference=(intent.get("metadata") or {}).get("reference", ""))
    if payment is None:
        return "Not one of our payments (reconciliation will report it if money moved)."
    return _sync(event, payment, intent["id"])


@webhook_handler("charge.succeeded", "charge.failed", "charge.refunded")
def charge_changed(event: WebhookEvent) -> str:
    charge = event_object(event)
    intent_id = charge.get("payment_intent") or ""
    intent_id = intent_id if isinstance(intent_id, str) else intent_id.get("id", "")
    payment = _payment_for(intent_id=intent_id, charge_id=charge.get("id", ""),
                           reference=(charge.get("metadata") or {}).get("reference", ""))
    if payment is None or not (intent_id or payment.gateway_payment_id):
        return "Not one of our payments (reconciliation will report it if money moved)."
    return _sync(event, payment, intent_id or payment.gateway_payment_id)


@webhook_handler("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
def dispute_changed(event: WebhookEvent) -> str:
    dispute = event_object(event)
    charge_id = dispute.get("charge") or ""
    charge_id = charge_id if isinstance(charge_id, str) else charge_id.get("id", "")
    intent_id = dispute.get("payment_intent") or ""
    intent_id = intent_id if isinstance(intent_id, str) else intent_id.get("id", "")
    payment = _payment_for(intent_id=intent_id, charge_id=charge_id)
    if payment is None:
        return "Not one of our payments."
    event.account_id = payment.account_id
    row = dispute_record(payment=payment, dispute=dispute)
    return f"Dispute {row.pk} on payment {payment.pk}: {row.outcome} ({row.gateway_status})."
