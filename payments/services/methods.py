"""Payment methods: the SetupIntent flow, default, removal, sync from the gateway, expiry warnings."""

from __future__ import annotations

import calendar
import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from billing import clock
from billing.audit import audit_record, snapshot
from billing.errors import InvalidTransition, NotFound
from billing.models import Account
from billing.outbox import event_record
from billing.transitions import row_lock
from payments import conf, selectors
from payments.gateways import MethodDetails, gateway
from payments.models import PaymentMethod, PaymentSetup, SetupStatus

from .customers import gateway_customer_ensure

logger = logging.getLogger(__name__)

DETAIL_FIELDS = ["type", "brand", "last4", "exp_month", "exp_year", "fingerprint", "bank_name"]


@dataclass(frozen=True)
class SetupStarted:
    setup: PaymentSetup
    client_secret: str
    publishable_key: str
    gateway: str
    offline: bool


def _method_payload(method: PaymentMethod) -> dict:
    return {"account_id": method.account_id, "payment_method_id": method.pk, "type": method.type,
            "brand": method.brand, "last4": method.last4, "is_default": method.is_default}


def payment_method_setup_start(*, account: Account) -> SetupStarted:
    """Start a SetupIntent; the browser completes it with Stripe.js and the client secret."""
    customer = gateway_customer_ensure(account=account)
    gw = gateway(customer.gateway)
    session = gw.setup_start(reference=f"account:{account.pk}:setup:{uuid.uuid4().hex}",
                             customer_id=customer.customer_id, method_types=conf.settings.PAYMENT_METHOD_TYPES)
    with transaction.atomic():
        setup = PaymentSetup.objects.create(account_id=account.pk, gateway=customer.gateway, gateway_id=session.id)
        audit_record(action="payments.payment_method.setup_started", instance=setup, after=snapshot(setup))
    return SetupStarted(setup=setup, client_secret=session.client_secret, publishable_key=gw.publishable_key,
                        gateway=gw.name, offline=gw.offline)


def payment_method_setup_complete(*, setup: PaymentSetup) -> PaymentSetup:
    """Bring a setup up to date with the gateway (webhook or the browser's callback; any order, any times)."""
    gw = gateway(setup.gateway)
    session = gw.setup_retrieve(setup.gateway_id)
    method = None
    if session.status == "succeeded" and session.payment_method_id:
        details = gw.method_retrieve(session.payment_method_id)
        customer = selectors.gateway_customer_live(account_id=setup.account_id, gateway_name=setup.gateway)
        if customer is not None and details.customer_id != customer.customer_id:
            details = gw.method_attach(method_id=details.id, customer_id=customer.customer_id)
        method = payment_method_record(account_id=setup.account_id, gateway_name=setup.gateway, details=details)
        outcome, message = SetupStatus.SUCCEEDED, ""
    elif session.status == "canceled" or session.failure_code:
        outcome, message = SetupStatus.FAILED, session.failure_message or "The payment method was refused."
    else:
        return setup  # the customer has not finished yet
    with transaction.atomic():
        setup = row_lock(PaymentSetup, setup)
        if setup.status == outcome and setup.payment_method_id == (method.pk if method else None):
            return setup
        before = snapshot(setup)
        setup.status, setup.failure_message, setup.payment_method = outcome, message[:500], method
        setup.save(update_fields=["status", "failure_message", "payment_method", "updated_at"])
        audit_record(action=f"payments.payment_method.setup_{outcome}", instance=setup, before=before,
                     after=snapshot(setup))
    return setup


@transaction.atomic
def payment_method_record(*, account_id: int, gateway_name: str, details: MethodDetails) -> PaymentMethod:
    """Create or refresh our copy of a gateway payment method; the first one becomes the default."""
    fields = {name: getattr(details, name) or ("" if name not in ("exp_month", "exp_year") else None)
              for name in DETAIL_FIELDS}
    method = row_lock(PaymentMethod, gateway=gateway_name, gateway_id=details.id, required=False)
    if method is not None:
        if method.account_id != account_id:
            raise InvalidTransition("This payment method belongs to another account.")
        before = snapshot(method)
        changed = [name for name, value in fields.items() if getattr(method, name) != value]
        if (method.exp_month, method.exp_year) != (fields["exp_month"], fields["exp_year"]):
            method.expiry_warned_at = None  # a new expiry date deserves its own warning
            changed.append("expiry_warned_at")
        revived = method.removed_at is not None
        if revived:
            method.removed_at = None
            changed.append("removed_at")
        if not changed:
            return method
        for name, value in fields.items():
            setattr(method, name, value)
        method.save(update_fields=[*set(changed), "updated_at"])
        audit_record(action="payments.payment_method.updated", instance=method, before=before,
                     after=snapshot(method))
        if not revived:
            return method
    else:
        method = PaymentMethod.objects.create(account_id=account_id, gateway=gateway_name, gateway_id=details.id,
                                              **fields)
        audit_record(action="payments.payment_method.added", instance=method, after=snapshot(method))
    has_default = PaymentMethod.objects.select_for_update().filter(
        account_id=account_id, is_default=True, removed_at__isnull=True).exclude(pk=method.pk).exists()
    if not has_default:
        method.is_default = True
        method.save(update_fields=["is_default", "updated_at"])
    # Dunning listens: a new method means "retry the failed invoice now".
    event_record(type="billing.payment_method.added", account_id=account_id, payload=_method_payload(method))
    return method


def _lock_active(account_id: int) -> list[PaymentMethod]:
    """Every active method of the account, locked in one statement (the default moves among them)."""
    return list(PaymentMethod.objects.select_for_update().filter(account_id=account_id, removed_at__isnull=True)
                .order_by("-created_at", "-id"))


def payment_method_set_default(*, method: PaymentMethod, sync_gateway: bool = True) -> PaymentMethod:
    if method.removed_at is not None:
        raise InvalidTransition("This payment method has been removed.")
    if sync_gateway:
        customer = selectors.gateway_customer_live(account_id=method.account_id, gateway_name=method.gateway)
        if customer is not None:
            gateway(method.gateway).customer_default_set(customer_id=customer.customer_id,
                                                        method_id=method.gateway_id)
    with transaction.atomic():
        methods = {m.pk: m for m in _lock_active(method.account_id)}
        if method.pk not in methods:
            raise InvalidTransition("This payment method has been removed.")
        target = methods[method.pk]
        if target.is_default:
            return target
        for other in methods.values():
            if other.is_default:
                other.is_default = False
                other.save(update_fields=["is_default", "updated_at"])
        target.is_default = True
        target.save(update_fields=["is_default", "updated_at"])
        audit_record(action="payments.payment_method.default_set", instance=target,
                     before={"is_default": False}, after={"is_default": True})
        event_record(type="billing.payment_method.default_changed", account_id=target.account_id,
                     payload=_method_payload(target))
    return target


def payment_method_remove(*, method: PaymentMethod, detach: bool = True) -> PaymentMethod:
    """Detach at the gateway (idempotent), then mark removed; the newest other method becomes the default."""
    if detach and method.removed_at is None:
        gateway(method.gateway).method_detach(method_id=method.gateway_id)
    with transaction.atomic():
        methods = {m.pk: m for m in _lock_active(method.account_id)}
        if method.pk not in methods:
            return PaymentMethod.objects.get(pk=method.pk)
        target = methods.pop(method.pk)
        before = snapshot(target)
        was_default = target.is_default
        target.removed_at, target.is_default = clock.now(), False
        target.save(update_fields=["removed_at", "is_default", "updated_at"])
        audit_record(action="payments.payment_method.removed", instance=target, before=before,
                     after=snapshot(target))
        event_record(type="billing.payment_method.removed", account_id=target.account_id,
                     payload=_method_payload(target))
        if was_default and methods:
            successor = next(iter(methods.values()))
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
            audit_record(action="payments.payment_method.default_set", instance=successor,
                         before={"is_default": False}, after={"is_default": True, "reason": "default removed"})
    return target


def payment_method_get(*, account_id: int, method_id: int) -> PaymentMethod:
    method = selectors.payment_methods_of(account_id=account_id).filter(pk=method_id).first()
    if method is None:
        raise NotFound("No such payment method.")
    return method


def _expires_on(method: PaymentMethod) -> date:
    last_day = calendar.monthrange(method.exp_year, method.exp_month)[1]
    return date(method.exp_year, method.exp_month, last_day)


def payment_method_expiry_warn_due(*, today: date | None = None) -> int:
    """Warn (once per expiry date) about cards that expire within the warning window. Safe to rerun."""
    today = today or clock.now().date()
    horizon = today + timedelta(days=conf.settings.PAYMENT_METHOD_EXPIRY_WARNING_DAYS)
    candidates = PaymentMethod.objects.filter(
        removed_at__isnull=True, expiry_warned_at__isnull=True, exp_year__isnull=False, exp_month__isnull=False,
        exp_year__gte=today.year, exp_year__lte=horizon.year,
    ).values_list("pk", flat=True)
    warned = 0
    for pk in candidates:
        with transaction.atomic():
            method = row_lock(PaymentMethod, pk, expiry_warned_at__isnull=True, removed_at__isnull=True,
                              required=False)
            if method is None or not (today <= _expires_on(method) <= horizon):
                continue
            method.expiry_warned_at = clock.now()
            method.save(update_fields=["expiry_warned_at", "updated_at"])
            audit_record(action="payments.payment_method.expiry_warned", instance=method,
                         after={"expires_on": _expires_on(method)})
            # The email goes out from the outbox handler: retried until delivered.
            event_record(type="billing.payment_method.expiring", account_id=method.account_id,
                         payload={**_method_payload(method), "expires_on": _expires_on(method).isoformat(),
                                  "exp_month": method.exp_month, "exp_year": method.exp_year})
            warned += 1
    return warned
