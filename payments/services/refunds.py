"""Refunds: full or partial, from the admin, the API or a credit note; and refunds made at the gateway.
Each refund of an invoice payment is documented by a credit note (payments/services/refund_notes.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.audit import audit_record, snapshot
from billing.errors import InvalidTransition, ValidationFailed
from billing.transitions import row_lock, transition
from payments.gateways import GatewayError, GatewayUnavailable, RefundRequest, RefundResult, gateway
from payments.models import REFUND_TRANSITIONS, Payment, PaymentStatus, Refund, RefundStatus

from .charging import payment_payload
from .refund_notes import (
    payment_credit_left,
    refund_credit_note_ensure,
    refund_note_room,
    refunds_paying_out,
)

logger = logging.getLogger(__name__)

REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.DISPUTED)
PAYMENT_REFUNDED = "billing.payment.refunded"
REFUND_FAILED = "billing.refund.failed"
RESEND_AFTER = timedelta(minutes=5)
# Stripe keeps idempotency keys 24 hours: past that, re-sending a refund could make a second one.
RESEND_WINDOW = timedelta(hours=23)


def _pending_total(payment: Payment) -> int:
    return payment.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount"))["total"] or 0


def refund_create(*, payment: Payment, amount: int | None = None, reason: str = "", reference: str | None = None,
                  credit_note_id: int | None = None) -> Refund:
    """Refund `amount` (default: all that is left) of a collected payment. Idempotent per `reference`."""
    refund = _refund_open(payment=payment, amount=amount, reason=reason, reference=reference,
                          credit_note_id=credit_note_id)
    return refund_send(refund=refund) if refund.status == RefundStatus.PENDING else refund


@transaction.atomic
def _refund_open(*, payment, amount, reason, reference, credit_note_id) -> Refund:
    payment = row_lock(Payment, payment)
    if reference:
        existing = Refund.objects.filter(reference=reference).first()
        if existing is not None:
            return existing
    if payment.status not in REFUNDABLE:
        raise InvalidTransition(f"A {payment.status} payment cannot be refunded.", fields={"payment": [payment.status]})
    available = payment.amount - payment.amount_refunded - _pending_total(payment)
    amount = available if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed({"amount": "Must be a positive whole number of minor units."})
    if amount > available:
        raise ValidationFailed({"amount": f"At most {available} can still be refunded."})
    if credit_note_id is None:  # its credit note is written as it succeeds: the invoice must have room for it
        room = refund_note_room(payment) + payment_credit_left(payment) - _pending_total(payment)
        if amount > room:
            raise ValidationFailed({"amount": f"At most {max(0, room)} can be refunded against the invoice (what "
                                              "was paid on it and not credited yet, and what of the payment is "
                                              "still credit)."})
    number = payment.refunds.count() + 1
    refund = Refund.objects.create(
        account_id=payment.account_id, payment=payment, amount=amount, currency=payment.currency,
        reason=reason[:200], reference=reference or f"payment:{payment.pk}:refund:{number}",
        credit_note_id=credit_note_id, created_at=timezone.now(),
    )
    audit_record(action="refund.created", instance=refund, after=snapshot(refund))
    return refund


def refund_send(*, refund: Refund) -> Refund:
    """Send a pending refund (again) under its reference; a timeout leaves it pending for the janitor."""
    pk = refund.pk
    with transaction.atomic():
        refund = row_lock(Refund, pk, related=("payment",), skip_locked=True, required=False,
                          status=RefundStatus.PENDING)
        if refund is None:  # done, or another worker holds it
            return Refund.objects.get(pk=pk)
        gw = gateway(refund.payment.gateway)
        try:
            result = _refund_find(gw, refund) if timezone.now() - refund.created_at >= RESEND_AFTER else None
            if result is None and timezone.now() - refund.created_at > RESEND_WINDOW:
                # Nothing was made under this reference and its idempotency key has expired: sending now
                # could refund a second time if the first request is still in flight somewhere.
                result = RefundResult(id="", status="failed", amount=refund.amount, currency=refund.currency,
                                      reference=refund.reference)
                refund.failure_message = "The refund never reached the payment processor."
            elif result is None:
                result = gw.refund(RefundRequest(
                    reference=refund.reference, payment_id=refund.payment.gateway_payment_id, amount=refund.amount,
                    reason=refund.reason,
                    metadata={"refund_id": str(refund.pk), "payment_id": str(refund.payment_id)}))
        except GatewayUnavailable:
            return refund
        except GatewayError as exc:
            result = RefundResult(id="", status="failed", amount=refund.amount, currency=refund.currency,
                                  reference=refund.reference)
            refund.failure_message = exc.message[:500]
        return refund_apply_result(refund=refund, result=result)


def _refund_find(gw, refund: Refund) -> RefundResult | None:
    """The refund the gateway made under our reference (a resend after a lost answer), if any."""
    if not refund.payment.gateway_payment_id:
        return None
    return next((remote for remote in gw.refunds_for_payment(refund.payment.gateway_payment_id)
                 if remote.reference == refund.reference), None)


@transaction.atomic
def refund_apply_result(*, refund: Refund, result: RefundResult) -> Refund:
    failure_message = refund.failure_message
    refund = row_lock(Refund, refund)
    if refund.status != RefundStatus.PENDING:
        return refund  # a replayed answer: the first one was applied
    if result.status == "succeeded":
        payment = row_lock(Payment, refund.payment_id)
        note_id = refund_credit_note_ensure(refund=refund, payment=payment)
        transition(refund, RefundStatus.SUCCEEDED, action="refund.succeeded",
                   changes={"gateway_refund_id": result.id, "succeeded_at": timezone.now(),
                            "credit_note_id": note_id})
        _add_to_payment(payment, refund)
    elif result.status in ("failed", "canceled"):
        # The customer is still owed the money: finance hears of it (email) and so can integrations.
        transition(refund, RefundStatus.FAILED, action="refund.failed", event=REFUND_FAILED, payload=_failed_payload,
                   changes={"gateway_refund_id": result.id,
                            "failure_message": failure_message or "The payment processor refused the refund."})
    return refund


def _failed_payload(refund: Refund) -> dict:
    return {"refund_id": refund.pk, "payment_id": refund.payment_id, "invoice_id": refund.payment.invoice_id,
            "credit_note_id": refund.credit_note_id, "amount": refund.amount, "currency": refund.currency,
            "reason": refund.reason, "reference": refund.reference, "failure_message": refund.failure_message}


def _add_to_payment(payment: Payment, refund: Refund) -> None:
    refunded = min(payment.amount, payment.amount_refunded + refund.amount)
    if payment.status == PaymentStatus.DISPUTED:
        target = PaymentStatus.DISPUTED  # the dispute outcome decides the status
    else:
        target = PaymentStatus.REFUNDED if refunded == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    transition(payment, target, action="payment.refunded", changes={"amount_refunded": refunded},
               event=PAYMENT_REFUNDED, payload=lambda refunded_payment: payment_payload(
                   refunded_payment, refund_id=refund.pk, refund_amount=refund.amount,
                   credit_note_id=refund.credit_note_id, reason=refund.reason))


def payment_refunds_sync(*, payment: Payment) -> int:
    """Record refunds made at the gateway (dashboard) that we do not know yet. Returns how many."""
    if not payment.gateway_payment_id:
        return 0
    added = 0
    for remote in gateway(payment.gateway).refunds_for_payment(payment.gateway_payment_id):
        if remote.status != "succeeded":
            continue
        with transaction.atomic():
            locked = row_lock(Payment, payment)
            known = Refund.objects.filter(payment=locked, gateway_refund_id=remote.id).exists() or \
                (remote.reference and Refund.objects.filter(reference=remote.reference).exists())
            if known or locked.status not in REFUNDABLE:
                continue
            refund = Refund(
                account_id=locked.account_id, payment=locked, amount=min(remote.amount, locked.refundable),
                currency=locked.currency, reason="Refunded at the payment processor",
                reference=f"gateway:{remote.id}", gateway_refund_id=remote.id,
                status=REFUND_TRANSITIONS.start(RefundStatus.SUCCEEDED),
                created_at=remote.created or timezone.now(), succeeded_at=timezone.now())
            if refund.amount > 0:
                refund.credit_note_id = refund_credit_note_ensure(refund=refund, payment=locked)
            refund.save()
            audit_record(action="refund.recorded_from_gateway", instance=refund, after=snapshot(refund))
            if refund.amount > 0:
                _add_to_payment(locked, refund)
            added += 1
    return added


def refund_for_credit_note(*, credit_note_id: int, invoice_id: int, total: int, reason: str = "") -> list[Refund]:
    """Pay a refund credit note back across the invoice's collected payments, newest first. Idempotent.
    A credit note written for a refund already made (refund_notes) pays nothing more."""
    made_first = refunds_paying_out(credit_note_id)
    if made_first:
        return made_first
    refunds, left = [], total
    payments = Payment.objects.filter(invoice_id=invoice_id, status__in=REFUNDABLE).order_by("-created_at", "-id")
    for payment in payments:
        if left <= 0:
            break
        reference = f"credit_note:{credit_note_id}:payment:{payment.pk}"
        existing = Refund.objects.filter(reference=reference).first()
        if existing is None:
            amount = min(left, payment.amount - payment.amount_refunded - _pending_total(payment))
            if amount <= 0:
                continue
            existing = refund_create(payment=payment, amount=amount, reason=reason or "Credit note",
                                     reference=reference, credit_note_id=credit_note_id)
        refunds.append(existing)
        left -= existing.amount
    if left > 0:
        logger.warning("payments: credit note %s: %s could not be refunded (not enough collected)", credit_note_id,
                       left)
    return refunds


def refunds_pending_resend(*, limit: int = 100) -> int:
    """Janitor: send again refunds whose answer was lost (same reference, so never twice)."""
    cutoff = timezone.now() - RESEND_AFTER
    pending = list(Refund.objects.filter(status=RefundStatus.PENDING, created_at__lte=cutoff)
                   .order_by("created_at")[:limit])
    for refund in pending:
        refund_send(refund=refund)
    return len(pending)
