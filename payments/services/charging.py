"""Charging invoices exactly once, and every later move of a payment.

Collecting an invoice happens in three steps, each safe to repeat:

1. `payment_collect` opens an attempt: under the invoice's row lock it creates a
   `pending` Payment with the reference `invoice:<id>:attempt:<n>` and commits.
   At most one attempt is in flight per invoice (a partial unique index).
2. `payment_resume` holds the payment's row lock, asks the gateway what it did
   under that reference (`payment_find`) and only if nothing is there charges,
   with the reference as idempotency key.
3. `payment_apply_result` moves the payment to the outcome through its transition
   table (locked, audited, with an event) and records a success on the invoice.
   Dunning hears of it through the tables' reactions (payments/reactions.py): a failed
   payment schedules its retry, an invoice paid ends its case; this module never calls
   dunning (dunning calls it, to retry).

If the process dies between 2 and 3, the committed `pending` row stays; the
janitor (`payments_pending_resolve`, after 5 minutes, 1 hour, then daily) or the
next collection resumes it, finds the charge and applies it: never a second charge.
A timeout at step 2 leaves the payment pending the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing import clock
from billing.audit import audit_record, snapshot
from billing.errors import InvalidTransition
from billing.outbox import event_record
from billing.transitions import row_lock, transition
from invoicing.models import CollectionMethod, Invoice, InvoiceStatus
from payments import conf, selectors
from payments.gateways import (
    GATEWAY_OUTCOMES,
    ChargeRequest,
    ChargeResult,
    GatewayError,
    GatewayUnavailable,
    gateway,
)
from payments.gateways import PaymentStatus as Outcome
from payments.models import (
    ACTIVE_STATUSES,
    COLLECTED_STATUSES,
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentStatus,
)

logger = logging.getLogger(__name__)

FIRST_CHECK = timedelta(minutes=5)
SECOND_CHECK = timedelta(hours=1)
LATER_CHECKS = timedelta(days=1)
# Stripe keeps idempotency keys 24 hours: past that, re-sending a charge could create a new one.
RESEND_WINDOW = timedelta(hours=23)
FIND_MARGIN = timedelta(minutes=10)

S = PaymentStatus
# A gateway's outcome is the payment's status it reached (any other value is a gateway's bug: KeyError).
_FROM_OUTCOME = {outcome: S(outcome) for outcome in GATEWAY_OUTCOMES}
PAYMENT_SUCCEEDED = "billing.payment.succeeded"
PAYMENT_FAILED = "billing.payment.failed"
PAYMENT_REQUIRES_ACTION = "billing.payment.requires_action"
PAYMENT_UNAPPLIED = "billing.payment.unapplied"
AUTHENTICATION_EXPIRED = "authentication_expired"  # the failure code of a 3-D Secure attempt that expired


def payment_payload(payment: Payment, **extra) -> dict:
    return {
        "payment_id": payment.pk, "invoice_id": payment.invoice_id, "account_id": payment.account_id,
        "amount": payment.amount, "currency": payment.currency, "status": payment.status,
        "attempt": payment.attempt, "gateway": payment.gateway, "reference": payment.reference,
        "failure_code": payment.failure_code, "failure_message": payment.failure_message,
        "amount_refunded": payment.amount_refunded, **extra,
    }


# --- step 1: open an attempt -----------------------------------------------------------------------------------

def payment_collect(*, invoice_id: int, trigger: str = "collection",
                    payment_method_id: int | None = None, attempt: int | None = None,
                    customer_present: bool = False) -> Payment | None:
    """Charge what an open charge_automatically invoice has due, exactly once. Safe to call again:
    a second call resumes the attempt in flight, and a paid invoice is left alone.
    `payment_method_id`: charge this active method of the account instead of the default.
    `attempt`: the attempt a customer's pay form was drawn for; when that attempt exists already (a double
    submit, a refresh, a replayed form) it is returned as it is and nothing new is charged.
    `customer_present`: the customer pressed Pay, so an invoice sent for payment by transfer is charged too."""
    payment = _attempt_open(invoice_id=invoice_id, trigger=trigger, payment_method_id=payment_method_id,
                            attempt=attempt, customer_present=customer_present)
    if payment is None or payment.status not in ACTIVE_STATUSES:
        return payment
    return payment_resume(payment=payment, customer_present=customer_present)


@transaction.atomic
def _attempt_open(*, invoice_id: int, trigger: str, payment_method_id: int | None = None,
                  attempt: int | None = None, customer_present: bool = False) -> Payment | None:
    invoice = row_lock(Invoice, invoice_id)
    if attempt is not None:
        made = Payment.objects.filter(invoice=invoice, attempt__gte=attempt).order_by("attempt").first()
        if made is not None:  # this form was sent before: its attempt, never a second charge
            return made
    active = Payment.objects.filter(invoice=invoice, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        return active
    if (invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0
            or (invoice.collection_method != CollectionMethod.CHARGE_AUTOMATICALLY and not customer_present)):
        return None
    method = (selectors.payment_methods_of(account_id=invoice.account_id).filter(pk=payment_method_id).first()
              if payment_method_id else None) or selectors.payment_method_default(account_id=invoice.account_id)
    customer = (selectors.gateway_customer_live(account_id=invoice.account_id, gateway_name=method.gateway)
                if method else None)
    if method is None or customer is None:
        # Nothing to charge: the invoice stays open (invoicing's due date and overdue reminders apply)
        # and is collected as soon as a payment method is added (billing.payment_method.added).
        logger.info("payments: invoice %s waits for a payment method", invoice.pk)
        return None
    attempt = selectors.payment_next_attempt(invoice_id=invoice.pk)
    now = timezone.now()
    payment = Payment.objects.create(
        account_id=invoice.account_id, invoice=invoice, amount=invoice.amount_due, currency=invoice.currency,
        gateway=method.gateway, reference=f"invoice:{invoice.pk}:attempt:{attempt}", attempt=attempt,
        payment_method=method, gateway_customer_id=customer.customer_id, created_at=now,
        next_check_at=now + FIRST_CHECK,
    )
    audit_record(action="payment.created", instance=payment, after={**snapshot(payment), "trigger": trigger})
    return payment


# --- step 2: find or charge ------------------------------------------------------------------------------------

def payment_resume(*, payment: Payment, customer_present: bool = False) -> Payment:
    """Bring an in-flight payment to its outcome: what the gateway did under our reference, else charge
    (on-session when `customer_present`: the customer is on the pay page and can answer 3-D Secure)."""
    with transaction.atomic():
        locked = row_lock(Payment, payment, skip_locked=True, required=False, status__in=ACTIVE_STATUSES)
        if locked is None:  # finished, or another worker holds it
            return Payment.objects.get(pk=payment.pk)
        try:
            result = _ask_gateway(locked, customer_present=customer_present)
        except GatewayUnavailable as exc:
            logger.warning("payments: %s: gateway unavailable (%s); the janitor will ask again", locked.reference, exc)
            return _schedule_check(locked)
        except GatewayError as exc:
            result = ChargeResult(status=Outcome.FAILED, failure_code=exc.code, failure_message=exc.message)
        if result is None:
            return _schedule_check(locked)
        return payment_apply_result(payment=locked, result=result)


def _ask_gateway(payment: Payment, *, customer_present: bool = False) -> ChargeResult | None:
    gw = gateway(payment.gateway)
    if payment.gateway_payment_id:
        return gw.payment_retrieve(payment.gateway_payment_id)
    found = gw.payment_find(customer_id=payment.gateway_customer_id, reference=payment.reference,
                            since=payment.created_at - FIND_MARGIN) if payment.gateway_customer_id else None
    if found is not None:
        return found
    if timezone.now() - payment.created_at > RESEND_WINDOW:
        # Nothing was charged under this reference and its idempotency key has expired.
        return ChargeResult(status=Outcome.FAILED, failure_code="not_sent",
                            failure_message="The charge never reached the payment processor.")
    if payment.payment_method is None or payment.payment_method.removed_at is not None:
        return ChargeResult(status=Outcome.FAILED, failure_code="payment_method_removed",
                            failure_message="The payment method was removed before the charge.")
    return gw.charge(ChargeRequest(
        reference=payment.reference, customer_id=payment.gateway_customer_id,
        payment_method_id=payment.payment_method.gateway_id, amount=payment.amount, currency=payment.currency,
        metadata={"payment_id": str(payment.pk), "invoice_id": str(payment.invoice_id),
                  "account_id": str(payment.account_id)},
        method_type=payment.payment_method.type or "card", customer_present=customer_present,
    ))


def _schedule_check(payment: Payment) -> Payment:
    """The outcome is still unknown: ask again after 5 minutes, then 1 hour, then daily."""
    payment.checks += 1
    delay = {1: FIRST_CHECK, 2: SECOND_CHECK}.get(payment.checks, LATER_CHECKS)
    payment.next_check_at = timezone.now() + delay
    payment.save(update_fields=["checks", "next_check_at", "updated_at"])
    return payment


# --- step 3: apply the outcome ---------------------------------------------------------------------------------

@transaction.atomic
def payment_apply_result(*, payment: Payment, result: ChargeResult) -> Payment:
    """Move a payment to what the gateway reports (locked; replays and stale reports change nothing)."""
    return _apply(row_lock(Payment, payment), result)


def _apply(payment: Payment, result: ChargeResult) -> Payment:
    target = _FROM_OUTCOME[result.status]
    ids = {"gateway_payment_id": result.payment_id or payment.gateway_payment_id,
           "gateway_charge_id": result.charge_id or payment.gateway_charge_id}
    if target == payment.status or (target == S.SUCCEEDED and payment.status in COLLECTED_STATUSES):
        if (ids["gateway_payment_id"], ids["gateway_charge_id"]) != (payment.gateway_payment_id,
                                                                      payment.gateway_charge_id):
            Payment.objects.filter(pk=payment.pk).update(**ids)
            payment.__dict__.update(ids)
        return payment  # a replay: nothing new
    if not PAYMENT_TRANSITIONS.allows(payment.status, target):
        logger.info("payments: %s is %s; ignoring a stale %s report", payment.reference, payment.status, target)
        return payment
    now = timezone.now()
    if target == S.SUCCEEDED:
        transition(payment, target, changes={"succeeded_at": now, "next_check_at": None, "failure_code": "",
                                             "failure_message": "", **ids})
        # Paying the invoice ends its dunning case, in this transaction (the invoice's reaction).
        _apply_to_invoice(payment)
        event_record(type=PAYMENT_SUCCEEDED, account_id=payment.account_id, payload=payment_payload(payment))
    elif target in (S.FAILED, S.CANCELED):
        code = result.failure_code or ("canceled" if target == S.CANCELED else "failed")
        message = result.failure_message or ("The payment was canceled." if target == S.CANCELED else "")
        # Dunning schedules the next retry as the payment fails (the payment's reaction), hence read after.
        transition(payment, target, changes={"failed_at": now, "next_check_at": None, "failure_code": code[:100],
                                             "failure_message": message[:500], **ids})
        event_record(type=PAYMENT_FAILED, account_id=payment.account_id, payload=payment_payload(
            payment, next_retry_at=selectors.dunning_next_retry_at(invoice_id=payment.invoice_id),
            update_payment_method_url=f"{settings.SITE_URL}/console/"))
    elif target == S.REQUIRES_ACTION:
        expires = payment.action_expires_at or clock.now() + timedelta(
            days=conf.settings.PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS)
        transition(payment, target, changes={"next_check_at": now + LATER_CHECKS, "action_expires_at": expires, **ids},
                   event=PAYMENT_REQUIRES_ACTION, payload=lambda waiting: payment_payload(
                       waiting, action_url=f"{settings.SITE_URL}/console/payments/{waiting.pk}/authenticate/",
                       action_expires_at=waiting.action_expires_at))
    else:
        transition(payment, target, changes=ids)
    return payment


def _apply_to_invoice(payment: Payment) -> None:
    """The money goes to its invoice first, the rest to the account's other open invoices (oldest first),
    then to its credit balance (invoicing/services/money_in.py). Money its invoice could no longer take
    (paid, voided or disputed meanwhile) is credit too, and finance is told."""
    from invoicing.services.money_in import payment_allocate

    allocation = payment_allocate(account_id=payment.account_id, currency=payment.currency, amount=payment.amount,
                                  reference=payment.reference, invoice_id=payment.invoice_id,
                                  credit_reason=f"Payment {payment.reference} beyond what was due")
    if allocation.replayed or payment.invoice_id in allocation.to_invoice:
        return
    reason = "Its invoice could no longer take it (paid, voided or disputed meanwhile)"
    if allocation.credited:
        reason += "; it was added to the account's credit balance"
    payment.unapplied_reason = reason[:300]
    payment.save(update_fields=["unapplied_reason", "updated_at"])
    audit_record(action="payment.unapplied", instance=payment, after={
        "reason": reason, "applied_elsewhere": allocation.to_invoice, "credited": allocation.credited})
    event_record(type=PAYMENT_UNAPPLIED, account_id=payment.account_id, payload=payment_payload(
        payment, reason=reason, credited=allocation.credited,
        applied_to=[{"invoice_id": pk, "amount": amount} for pk, amount in allocation.applied]))


def payment_mark_received(*, payment: Payment) -> Payment:
    """Finance confirms a manual-gateway payment (bank transfer) arrived."""
    if payment.gateway != "manual":
        raise InvalidTransition("Only manual payments are confirmed by hand; card payments report themselves.")
    return payment_apply_result(payment=payment, result=ChargeResult(status=Outcome.SUCCEEDED,
                                                                     payment_id=payment.gateway_payment_id))


# --- the janitor -----------------------------------------------------------------------------------------------

def payments_pending_resolve(*, limit: int = 100) -> int:
    """Ask the gateway about payments still pending (or waiting for 3-D Secure) whose check is due, and
    cancel those whose 3-D Secure confirmation expired."""
    expired = payments_action_expire(limit=limit)
    now = timezone.now()
    due = list(Payment.objects.filter(status__in=ACTIVE_STATUSES, next_check_at__lte=now)
               .exclude(gateway="manual").order_by("next_check_at", "id")[:limit])
    for payment in due:
        payment_resume(payment=payment)
    return expired + len(due)


def payments_action_expire(*, limit: int = 100) -> int:
    """Cancel the payments still waiting for 3-D Secure past PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS (billing
    clock): the attempt counts as failed (dunning schedules its retry) and the customer is emailed a new
    link (`billing.payment.failed` with failure_code `authentication_expired`). A row from before
    `action_expires_at` existed expires by its creation time."""
    now = clock.now()
    legacy = now - timedelta(days=conf.settings.PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS)
    expired = list(Payment.objects.filter(status=S.REQUIRES_ACTION).filter(
        Q(action_expires_at__lte=now) | Q(action_expires_at__isnull=True, created_at__lte=legacy))
        .order_by("id")[:limit])
    for payment in expired:
        payment_cancel(payment=payment, failure_code=AUTHENTICATION_EXPIRED,
                       reason="The payment was not confirmed with the bank (3-D Secure) in time.")
    return len(expired)


def payment_cancel(*, payment: Payment, reason: str = "", failure_code: str = "canceled") -> Payment:
    """Cancel an attempt waiting for the customer (counts as a failure for dunning)."""
    PAYMENT_TRANSITIONS.check(payment.status, S.CANCELED, verb="cancel")  # pending or waiting for 3-D Secure
    result = ChargeResult(status=Outcome.CANCELED, failure_code=failure_code, failure_message=reason)
    if payment.gateway_payment_id:
        try:
            remote = gateway(payment.gateway).payment_cancel(payment.gateway_payment_id)
        except GatewayUnavailable:
            return payment
        except GatewayError:
            remote = gateway(payment.gateway).payment_retrieve(payment.gateway_payment_id)
        if remote.status != Outcome.CANCELED:
            return payment_apply_result(payment=payment, result=remote)  # it succeeded or failed meanwhile
    return payment_apply_result(payment=payment, result=result)
