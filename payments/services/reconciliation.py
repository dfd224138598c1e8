"""Reconciliation: compare, for a window, the gateway's charges and refunds with our payments and refunds.

Discrepancy kinds: `missing_local` (at Stripe, not with us), `missing_gateway` (with
us, not at Stripe), `amount_mismatch` (beyond RECONCILIATION_TOLERANCE_PERCENT) and
`status_mismatch`. A run is stored with its counts; when the absolute total in the
operator's currency exceeds RECONCILIATION_ALERT_THRESHOLD, finance is alerted
(`billing.reconciliation.alert`). Finance resolves a discrepancy with a note, or
asks `discrepancy_repair` to fix what it can from the gateway's data.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from billing import conf as billing_conf
from billing.audit import audit_record, snapshot
from billing.context import current_actor
from billing.errors import InvalidTransition, ValidationFailed
from billing.outbox import event_record
from billing.transitions import row_lock
from payments import conf, selectors
from payments.gateways import ChargeRecord, ChargeResult, RefundResult, default_name, gateway
from payments.gateways import PaymentStatus as Outcome
from payments.models import (
    COLLECTED_STATUSES,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyResolution,
    Payment,
    PaymentStatus,
    ReconciliationRun,
    Refund,
    RefundStatus,
    RunStatus,
)
from pricing.money import round_to_minor

from .charging import payment_apply_result
from .refunds import refund_apply_result

logger = logging.getLogger(__name__)

RECONCILIATION_ALERT = "billing.reconciliation.alert"
KEY_REUSE_WINDOW = timedelta(hours=24)
MIN_KEY_LENGTH = 16
# A run takes minutes; one still running after this was killed and is run again by the next call with its key.
RUN_LEASE = timedelta(hours=1)
# Our rows made just outside the window may be the gateway's just inside: look this far around it.
EDGE = timedelta(minutes=10)
K = DiscrepancyKind



def alert_threshold_minor(currency: str) -> int:
    """RECONCILIATION_ALERT_THRESHOLD (major units) in the minor units of `currency`."""
    return round_to_minor(conf.settings.RECONCILIATION_ALERT_THRESHOLD, currency)

def _tolerance() -> Decimal:
    return conf.settings.RECONCILIATION_TOLERANCE_PERCENT / 100


def amounts_differ(local: int, remote: int) -> bool:
    """Beyond the tolerance (0.5% of the gateway's amount by default)."""
    if local == remote:
        return False
    base = max(abs(remote), 1)
    return Decimal(abs(local - remote)) / Decimal(base) > _tolerance()


def reconciliation_run_start(*, window_start: datetime, window_end: datetime, idempotency_key: str = "",
                             trigger: str = "schedule") -> ReconciliationRun:
    """Run now, or return the run already made with this key in the last 24 hours."""
    errors = {}
    if window_end <= window_start:
        errors["window_end"] = "Must be after window_start."
    if idempotency_key and len(idempotency_key) < MIN_KEY_LENGTH:
        errors["Idempotency-Key"] = f"Must be at least {MIN_KEY_LENGTH} characters."
    if errors:
        raise ValidationFailed(errors)
    existing = None
    with transaction.atomic():
        if idempotency_key:
            # Two requests with one key at once: the second waits here, then finds the first run.
            lock_id = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big", signed=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
            existing = ReconciliationRun.objects.filter(
                idempotency_key=idempotency_key, created_at__gte=timezone.now() - KEY_REUSE_WINDOW).first()
            if existing is not None and not _abandoned(existing):
                return existing
        if existing is not None:
            run = existing  # killed halfway: its discrepancies were never written, so run it again
        else:
            run = ReconciliationRun.objects.create(
                gateway=default_name(), window_start=window_start, window_end=window_end,
                idempotency_key=idempotency_key, trigger=trigger,
                currency=billing_conf.settings.OPERATOR_CURRENCY.upper(), created_at=timezone.now())
            audit_record(action="reconciliation.started", instance=run, account_id=None, after=snapshot(run))
    return reconciliation_run_execute(run=run)


def _abandoned(run: ReconciliationRun) -> bool:
    """Still `running` long after it started: the process running it died."""
    return run.status == RunStatus.RUNNING and run.created_at < timezone.now() - RUN_LEASE


def reconciliation_run_execute(*, run: ReconciliationRun) -> ReconciliationRun:
    try:
        found = _compare(run)
    except Exception as exc:
        ReconciliationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(exc)[:2000],
                                                           finished_at=timezone.now())
        logger.exception("reconciliation run %s failed", run.pk)
        run.refresh_from_db()
        return run
    with transaction.atomic():
        run = row_lock(ReconciliationRun, run)
        if run.status != RunStatus.RUNNING:
            return run
        Discrepancy.objects.bulk_create([Discrepancy(run=run, **item) for item in found["discrepancies"]])
        total = sum(_size(item) for item in found["discrepancies"] if item["currency"] == run.currency)
        run.charges_seen, run.refunds_seen = found["charges_seen"], found["refunds_seen"]
        run.payments_checked, run.refunds_checked = found["payments_checked"], found["refunds_checked"]
        run.discrepancy_count, run.total_discrepancy = len(found["discrepancies"]), total
        run.status, run.finished_at = RunStatus.COMPLETED, timezone.now()
        threshold = alert_threshold_minor(run.currency)
        run.alerted = total > threshold
        run.save()
        audit_record(action="reconciliation.completed", instance=run, account_id=None, after=snapshot(run))
        if run.alerted:
            event_record(type=RECONCILIATION_ALERT, account_id=None, payload={
                "run_id": run.pk, "window_start": run.window_start, "window_end": run.window_end,
                "discrepancy_count": run.discrepancy_count, "total_discrepancy": total, "currency": run.currency,
                "threshold": threshold})
    return run


def _size(item: dict) -> int:
    """What is at stake: the whole amount when one side lacks it or holds it in another state."""
    if item["kind"] in (K.MISSING_LOCAL, K.MISSING_GATEWAY, K.STATUS_MISMATCH):
        return abs(item.get("gateway_amount") or item.get("local_amount") or 0)
    return abs((item.get("gateway_amount") or 0) - (item.get("local_amount") or 0))


def _expected(charge: ChargeRecord, reversed_amount: int = 0) -> set[str]:
    """Our statuses that agree with the charge; `reversed_amount` is what lost disputes took back (not a
    refund at the gateway, so not in the charge's amount_refunded)."""
    if charge.status == "succeeded":
        refunded = charge.amount_refunded + reversed_amount
        if refunded >= charge.amount:
            return {PaymentStatus.REFUNDED}
        if refunded:
            return {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.DISPUTED}
        return {PaymentStatus.SUCCEEDED, PaymentStatus.DISPUTED}
    if charge.status == "failed":
        return {PaymentStatus.FAILED, PaymentStatus.CANCELED}
    return {PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION}


def _item(kind, object_type, *, gateway_id="", payment=None, refund=None, account_id=None, currency="",
          local_amount=None, gateway_amount=None, local_status="", gateway_status="", **details) -> dict:
    owner = payment or refund
    return {"kind": kind, "object_type": object_type, "gateway_id": gateway_id, "payment": payment, "refund": refund,
            "account_id": account_id or (owner.account_id if owner else None), "currency": currency.upper(),
            "local_amount": local_amount, "gateway_amount": gateway_amount, "local_status": local_status,
            "gateway_status": gateway_status, "details": details}


def _compare(run: ReconciliationRun) -> dict:
    gw = gateway(run.gateway)
    start, end = run.window_start, run.window_end
    charges = gw.charges_list(start=start, end=end)
    remote_refunds = gw.refunds_list(start=start, end=end)
    found: list[dict] = []
    matched_payments: set[int] = set()
    known = _payments_for(charges)
    reversed_by_payment = dict(
        Refund.objects.filter(payment__in={p.pk for p in known.values()}, reference__startswith="dispute:",
                              status=RefundStatus.SUCCEEDED)
        .values_list("payment_id").annotate(total=Sum("amount")).values_list("payment_id", "total")
    ) if known else {}
    for charge in charges:
        payment = (known.get(("charge", charge.id)) or known.get(("intent", charge.payment_id))
                   or known.get(("reference", charge.reference)))
        if payment is None:
            if charge.status == "succeeded":
                customer = selectors.gateway_customer_by_id(gateway_name=run.gateway, customer_id=charge.customer_id)
                found.append(_item(K.MISSING_LOCAL, "charge", gateway_id=charge.id, currency=charge.currency,
                                   gateway_amount=charge.amount, gateway_status=charge.status,
                                   account_id=customer.account_id if customer else None,
                                   payment_intent=charge.payment_id, customer=charge.customer_id))
            continue
        matched_payments.add(payment.pk)
        if amounts_differ(payment.amount, charge.amount):
            found.append(_item(K.AMOUNT_MISMATCH, "charge", gateway_id=charge.id, payment=payment,
                               currency=charge.currency, local_amount=payment.amount, gateway_amount=charge.amount,
                               local_status=payment.status, gateway_status=charge.status))
        elif payment.status not in _expected(charge, reversed_by_payment.get(payment.pk, 0)):
            found.append(_item(K.STATUS_MISMATCH, "charge", gateway_id=charge.id, payment=payment,
                               currency=charge.currency, local_amount=payment.amount, gateway_amount=charge.amount,
                               local_status=payment.status, gateway_status=charge.status,
                               gateway_refunded=charge.amount_refunded, local_refunded=payment.amount_refunded))
    ours = Payment.objects.filter(created_at__gte=start - EDGE, created_at__lt=end + EDGE,
                                  status__in=COLLECTED_STATUSES, gateway=run.gateway).exclude(pk__in=matched_payments)
    checked = len(matched_payments)
    for payment in ours:
        checked += 1
        remote = _remote_payment(gw, payment)
        if remote is None or remote.status != Outcome.SUCCEEDED:
            if payment.created_at < start or payment.created_at >= end:
                continue  # at the edge and not in this window's listing: the neighbouring run judges it
            found.append(_item(K.MISSING_GATEWAY if remote is None else K.STATUS_MISMATCH, "charge",
                               gateway_id=payment.gateway_charge_id, payment=payment, currency=payment.currency,
                               local_amount=payment.amount, gateway_amount=remote.amount if remote else None,
                               local_status=payment.status, gateway_status=remote.status if remote else ""))
    refunds_checked = _compare_refunds(remote_refunds, start, end, found, run.gateway)
    return {"discrepancies": found, "charges_seen": len(charges), "refunds_seen": len(remote_refunds),
            "payments_checked": checked, "refunds_checked": refunds_checked}


def _payments_for(charges: list[ChargeRecord]) -> dict[tuple[str, str], Payment]:
    """Our payments for a listing of charges, in three queries, keyed by charge id, intent id and reference."""
    found: dict[tuple[str, str], Payment] = {}
    for kind, field, values in (("charge", "gateway_charge_id", {c.id for c in charges}),
                                ("intent", "gateway_payment_id", {c.payment_id for c in charges if c.payment_id}),
                                ("reference", "reference", {c.reference for c in charges if c.reference})):
        for payment in Payment.objects.filter(**{f"{field}__in": values}) if values else ():
            found[(kind, getattr(payment, field))] = payment
    return found


def _remote_payment(gw, payment: Payment) -> ChargeResult | None:
    if not payment.gateway_payment_id:
        return None
    try:
        return gw.payment_retrieve(payment.gateway_payment_id)
    except Exception:  # the gateway does not know it
        return None


def _compare_refunds(remote_refunds: list[RefundResult], start, end, found: list, gateway_name: str) -> int:
    matched: set[int] = set()
    by_id = {r.gateway_refund_id: r for r in Refund.objects.select_related("payment").filter(
        gateway_refund_id__in={r.id for r in remote_refunds})} if remote_refunds else {}
    by_reference = {r.reference: r for r in Refund.objects.select_related("payment").filter(
        reference__in={r.reference for r in remote_refunds if r.reference})} if remote_refunds else {}
    charges = {p.gateway_charge_id: p for p in Payment.objects.filter(
        gateway_charge_id__in={r.charge_id for r in remote_refunds if r.charge_id})} if remote_refunds else {}
    for remote in remote_refunds:
        refund = by_id.get(remote.id) or by_reference.get(remote.reference)
        if refund is None:
            payment = charges.get(remote.charge_id)
            found.append(_item(K.MISSING_LOCAL, "refund", gateway_id=remote.id, payment=payment,
                               currency=remote.currency, gateway_amount=remote.amount, gateway_status=remote.status,
                               charge=remote.charge_id))
            continue
        matched.add(refund.pk)
        if amounts_differ(refund.amount, remote.amount):
            found.append(_item(K.AMOUNT_MISMATCH, "refund", gateway_id=remote.id, refund=refund,
                               payment=refund.payment, currency=remote.currency, local_amount=refund.amount,
                               gateway_amount=remote.amount, local_status=refund.status,
                               gateway_status=remote.status))
        elif (refund.status == RefundStatus.SUCCEEDED) != (remote.status == "succeeded"):
            found.append(_item(K.STATUS_MISMATCH, "refund", gateway_id=remote.id, refund=refund,
                               payment=refund.payment, currency=remote.currency, local_amount=refund.amount,
                               gateway_amount=remote.amount, local_status=refund.status,
                               gateway_status=remote.status))
    # Our succeeded gateway refunds of the window that the gateway did not list. Dispute reversals are not
    # refunds at the gateway, so they are left out.
    ours = Refund.objects.filter(status=RefundStatus.SUCCEEDED, succeeded_at__gte=start, succeeded_at__lt=end,
                                 payment__gateway=gateway_name).exclude(pk__in=matched) \
        .exclude(reference__startswith="dispute:")
    for refund in ours:
        found.append(_item(K.MISSING_GATEWAY, "refund", gateway_id=refund.gateway_refund_id, refund=refund,
                           payment=refund.payment, currency=refund.currency, local_amount=refund.amount,
                           local_status=refund.status))
    return len(matched) + ours.count()


# --- finance: resolve or repair ---------------------------------------------------------------------------------

def _open_locked(discrepancy: Discrepancy) -> Discrepancy:
    """The discrepancy locked (`row_lock`), refused unless still open."""
    locked = row_lock(Discrepancy, discrepancy)
    if locked.resolution != DiscrepancyResolution.OPEN:
        raise InvalidTransition("This discrepancy is already closed.")
    return locked


@transaction.atomic
def discrepancy_resolve(*, discrepancy: Discrepancy, note: str) -> Discrepancy:
    if not (note or "").strip():
        raise ValidationFailed({"note": "Say how it was resolved."})
    discrepancy = _open_locked(discrepancy)
    return _close(discrepancy, DiscrepancyResolution.RESOLVED, note.strip())


def _close(discrepancy: Discrepancy, resolution: str, note: str) -> Discrepancy:
    before = snapshot(discrepancy)
    discrepancy.resolution, discrepancy.note = resolution, note
    discrepancy.resolved_by, discrepancy.resolved_at = current_actor().label[:200], timezone.now()
    discrepancy.save()
    audit_record(action=f"reconciliation.discrepancy_{resolution}", instance=discrepancy, before=before,
                 after=snapshot(discrepancy))
    return discrepancy


def discrepancy_repair(*, discrepancy: Discrepancy) -> Discrepancy:
    """Fix what the gateway's data can fix: bring a payment or refund to the gateway's state, or record a
    charge we never saved (when Stripe's metadata names our payment). Amount mismatches need a person."""
    if discrepancy.resolution != DiscrepancyResolution.OPEN:
        raise InvalidTransition("This discrepancy is already closed.")
    gw = gateway(discrepancy.run.gateway)
    note = ""
    if discrepancy.object_type == "charge" and discrepancy.kind in (K.STATUS_MISMATCH, K.MISSING_GATEWAY) \
            and discrepancy.payment_id:
        payment = discrepancy.payment
        remote = _remote_payment(gw, payment)
        if remote is None:
            raise InvalidTransition("Stripe does not know this payment: resolve it by hand.")
        payment_apply_result(payment=payment, result=remote)
        from .refunds import payment_refunds_sync

        payment_refunds_sync(payment=Payment.objects.get(pk=payment.pk))
        note = f"Payment brought to Stripe's state ({remote.status}, refunded {remote.amount_refunded})."
    elif discrepancy.object_type == "charge" and discrepancy.kind == K.MISSING_LOCAL:
        payment_intent = discrepancy.details.get("payment_intent", "")
        remote = gw.payment_retrieve(payment_intent) if payment_intent else None
        payment = Payment.objects.filter(reference=remote.reference).first() if remote and remote.reference else None
        if payment is None:
            raise InvalidTransition("Stripe's charge does not name one of our payments: resolve it by hand.")
        payment_apply_result(payment=payment, result=remote)
        note = f"Recorded Stripe's charge on payment {payment.pk} ({payment.reference})."
    elif discrepancy.object_type == "refund" and discrepancy.kind == K.MISSING_LOCAL and discrepancy.payment_id:
        from .refunds import payment_refunds_sync

        added = payment_refunds_sync(payment=discrepancy.payment)
        note = f"Recorded {added} refund(s) made at Stripe."
    elif discrepancy.object_type == "refund" and discrepancy.kind == K.STATUS_MISMATCH and discrepancy.refund_id:
        refund = discrepancy.refund
        remote = next((r for r in gw.refunds_for_payment(refund.payment.gateway_payment_id)
                       if r.id == discrepancy.gateway_id), None)
        if remote is None:
            raise InvalidTransition("Stripe does not list this refund any more: resolve it by hand.")
        refund_apply_result(refund=refund, result=remote)
        note = f"Refund brought to Stripe's state ({remote.status})."
    else:
        raise InvalidTransition("This kind of discrepancy needs a person: resolve it with a note.")
    with transaction.atomic():
        return _close(_open_locked(discrepancy), DiscrepancyResolution.REPAIRED, note)


def reconciliation_daily(*, now: datetime | None = None) -> ReconciliationRun:
    """Yesterday (UTC), once: the day is in the key, so a rerun the same day returns the same run."""
    end = (now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=1)
    return reconciliation_run_start(window_start=start, window_end=end, trigger="schedule",
                                    idempotency_key=f"reconciliation:daily:{start.date().isoformat()}")
