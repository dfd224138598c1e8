"""Subscription writes: create, change plan or seats, pause, resume, cancel, trials.

Every state change goes through `billing.transitions.transition()` with `TRANSITIONS`:
the row locked, the state re-checked against the table, changed, audited and announced
in the same transaction; a move the table does not allow raises `TransitionRefused`
(`InvalidTransition`, 409).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from billing import clock
from billing.audit import audit_record, snapshot
from billing.errors import AmountTooLarge, InvalidTransition, ValidationFailed
from billing.models import (
    UNLIMITED,
    Account,
    ChangeTiming,
    CollectionMethod,
    DiscountStatus,
    Plan,
    PlanPrice,
    PlanVersion,
    ProrationBehavior,
    ProrationItem,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionDiscount,
    SubscriptionMetricOverride,
    SubscriptionStatus,
    TrialEndBehavior,
)
from billing.outbox import event_record
from billing.selectors.terms import PlanTerms, hypothetical_terms, plan_terms_for
from billing.services.proration import ProrationLine, is_upgrade, proration_lines
from billing.transitions import TransitionTable, row_lock, transition
from pricing import periods
from pricing.money import MAX_LINE_AMOUNT, amount_label, line_too_large_message

S = SubscriptionStatus
TRANSITIONS = TransitionTable(Subscription, {
    S.TRIALING: {S.ACTIVE, S.INCOMPLETE, S.CANCELED, S.PAUSED},
    S.ACTIVE: {S.PAST_DUE, S.PAUSED, S.CANCELED},
    S.PAST_DUE: {S.ACTIVE, S.CANCELED, S.PAUSED},  # paused by the overdue policy at suspension
    S.PAUSED: {S.ACTIVE, S.TRIALING, S.CANCELED},
    S.INCOMPLETE: {S.ACTIVE, S.INCOMPLETE_EXPIRED, S.CANCELED},
    S.CANCELED: set(),
    S.INCOMPLETE_EXPIRED: set(),
}, initial={S.TRIALING, S.ACTIVE, S.INCOMPLETE})
CHANGEABLE = (S.TRIALING, S.ACTIVE, S.PAST_DUE)
TRIAL_WILL_END_NOTICE = timedelta(days=3)
# What every subscription service reads with the row: the plan (interval, code) and its version.
WITH_PLAN = ("plan", "plan_version")


def subscription_payload(subscription: Subscription, action: str, extra: dict | None = None) -> dict:
    return {"subscription_id": subscription.pk, "account_id": subscription.account_id,
            "status": subscription.status, "plan": subscription.plan.code,
            "plan_version_id": subscription.plan_version_id, "quantity": subscription.quantity,
            "current_period_start": subscription.current_period_start,
            "current_period_end": subscription.current_period_end,
            "cancel_at_period_end": subscription.cancel_at_period_end, "action": action} | (extra or {})


def record(subscription: Subscription, action: str, before: dict, event: str | None = None,
           extra: dict | None = None) -> None:
    """Audit and announce a change that keeps the status (plan, seats, scheduled cancellation)."""
    after = snapshot(subscription)
    audit_record(action=f"subscription.{action}", instance=subscription, before=before, after=after)
    if event:
        event_record(type=f"billing.subscription.{event}", account_id=subscription.account_id,
                     payload=subscription_payload(subscription, action, extra))


def status_change(subscription: Subscription, to: str, action: str, before: dict, *, event: str,
                  verb: str | None = None, from_=None, extra: dict | None = None, **changes) -> Subscription:
    """A status change of a locked subscription (with the other fields it changes in memory), through
    the table: audited as `subscription.<action>`, announced as `billing.subscription.<event>`."""
    return transition(subscription, to, table=TRANSITIONS, from_=from_, verb=verb,
                      action=f"subscription.{action}", before=before, changes=changes,
                      event=f"billing.subscription.{event}",
                      payload=lambda sub: subscription_payload(sub, action, extra))


def _period_end(subscription: Subscription, plan: Plan, start: datetime) -> datetime:
    return periods.next_boundary_after(subscription.billing_cycle_anchor, plan.interval, plan.interval_count, start)


def _validate_quantity(version: PlanVersion, quantity) -> int:
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationFailed({"quantity": "Must be a whole number of at least 1."})
    if version.max_seats is not None and quantity > version.max_seats:
        raise ValidationFailed({"quantity": f"This plan allows at most {version.max_seats} seats."})
    return quantity


# Terms stored before the bounds existed cannot be prorated (the credit would not fit an invoice line).
UNCREDITABLE = "its unused time cannot be credited: give proration_behavior none"


def terms_bounded(terms: PlanTerms, *, fields: tuple[str, ...], fix: str) -> PlanTerms:
    """`terms`, unless its fees per period (flat + seats beyond the included ones) pass MAX_LINE_AMOUNT:
    then `AmountTooLarge` (422) naming `fields`. The invoice lines made from them (flat, seats, and a
    proration of both) could not be billed: refused here, when they are chosen, not at the bill run."""
    seat = terms.seat_amount if terms.seat_amount is not None and terms.included_seats != UNLIMITED else 0
    amount = max(terms.recurring_amount, seat)
    if amount <= MAX_LINE_AMOUNT:
        return terms
    seats = (f" and {terms.billable_seats} seats at {amount_label(seat, terms.currency)}"
             if terms.billable_seats else "")
    message = line_too_large_message(
        what=f"{terms.plan_name} (a flat fee of {amount_label(terms.flat_amount, terms.currency)}{seats})",
        amount=amount, currency=terms.currency, fix=fix)
    raise AmountTooLarge(message, fields={name: [message] for name in fields})


def _sellable_version(plan: Plan, currency: str, field_name: str = "plan") -> PlanVersion:
    if not plan.is_active or plan.current_version_id is None:
        raise ValidationFailed({field_name: "This plan is not available."})
    version = plan.current_version
    if not PlanPrice.objects.filter(version=version, currency=currency).exists():
        raise ValidationFailed({"currency": f"The plan {plan.code} has no {currency} price."})
    return version


@transaction.atomic
def subscription_create(
    *, account: Account, plan: Plan, quantity: int = 1, currency: str | None = None,
    trial_days: int | None = None, start_at: datetime | None = None, coupon_code: str | None = None,
    start_incomplete: bool = False, metadata: dict | None = None, promotion_code_only: bool = False,
) -> Subscription:
    """Subscribe an account to a plan's current version.

    The start date (default: now) is the billing cycle anchor; a trial delays the
    first paid period, which is then anchored on the trial end. `start_incomplete`
    waits for the first payment (`subscription_activate`) before the service starts.
    """
    from billing.services.customers import (
        billing_profile_currency,
        discount_apply,
        invoiced_currency_of,
    )

    now = clock.now()
    start_at = start_at or now
    currency = (currency or billing_profile_currency(account_id=account.pk) or _default_currency(plan)).upper()
    invoiced_in = invoiced_currency_of(account_id=account.pk)
    if invoiced_in and currency != invoiced_in:
        raise ValidationFailed({"currency": f"The account is invoiced in {invoiced_in}; it cannot change."})
    version = _sellable_version(plan, currency)
    quantity = _validate_quantity(version, quantity)
    trial_days = plan.trial_days if trial_days is None else trial_days
    if trial_days < 0:
        raise ValidationFailed({"trial_days": "Must be zero or more."})
    subscription = Subscription(account=account, plan=plan, plan_version=version, currency=currency,
                                quantity=quantity, started_at=start_at, trial_end_behavior=plan.trial_end_behavior,
                                metadata=metadata or {})
    if trial_days:
        subscription.status = TRANSITIONS.start(S.TRIALING)
        subscription.trial_start = start_at
        subscription.trial_end = start_at + timedelta(days=trial_days)
        subscription.billing_cycle_anchor = subscription.trial_end
        subscription.current_period_start, subscription.current_period_end = start_at, subscription.trial_end
    else:
        subscription.status = TRANSITIONS.start(S.INCOMPLETE if start_incomplete else S.ACTIVE)
        subscription.billing_cycle_anchor = start_at
        subscription.current_period_start = start_at
        subscription.current_period_end = periods.boundary(start_at, plan.interval, plan.interval_count, 1)
    subscription.save()
    terms_bounded(plan_terms_for(subscription), fields=("quantity",), fix="choose fewer seats")
    if coupon_code:
        discount_apply(subscription=subscription, code=coupon_code, promotion_code_only=promotion_code_only)
    record(subscription, "created", before=None, event="created")
    return subscription


def _default_currency(plan: Plan) -> str:
    price = PlanPrice.objects.filter(version_id=plan.current_version_id).order_by("id").first()  # its first currency
    if price is None:
        raise ValidationFailed({"plan": "This plan has no price."})
    return price.currency


# --- plan and quantity changes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangePlan:
    """What a change would do; `subscription_change_preview` returns it without writing."""

    timing: str
    proration_behavior: str
    effective_at: datetime
    new_plan_version: PlanVersion
    new_quantity: int
    proration: list[ProrationLine] = field(default_factory=list)
    period_restarts: bool = False
    next_renewal_at: datetime | None = None
    next_renewal_amount: int = 0
    currency: str = ""

    @property
    def amount_due_now(self) -> int:
        if self.proration_behavior == ProrationBehavior.ALWAYS_INVOICE:
            return sum(line.amount for line in self.proration)
        return 0

    @property
    def proration_total(self) -> int:
        return sum(line.amount for line in self.proration)


def _plan_change(subscription: Subscription, *, plan: Plan | None, quantity: int | None, timing: str | None,
                 proration_behavior: str | None) -> ChangePlan:
    if subscription.status not in CHANGEABLE:
        raise InvalidTransition(f"Cannot change a subscription that is {subscription.status}.",
                                fields={"status": [subscription.status]})
    if plan is None and quantity is None:
        raise ValidationFailed({"plan": "Give a new plan or a new quantity."})
    if timing not in (None, *ChangeTiming.values):
        raise ValidationFailed({"timing": f"Must be one of {', '.join(ChangeTiming.values)}."})
    if proration_behavior not in (None, *ProrationBehavior.values):
        raise ValidationFailed({"proration_behavior": f"Must be one of {', '.join(ProrationBehavior.values)}."})
    new_version = (_sellable_version(plan, subscription.currency) if plan is not None and plan.pk !=
                   subscription.plan_id else subscription.plan_version)
    new_quantity = _validate_quantity(new_version, subscription.quantity if quantity is None else quantity)
    if new_version.pk == subscription.plan_version_id and new_quantity == subscription.quantity:
        raise ValidationFailed({"plan": "The subscription already has this plan and quantity."})
    old_terms = plan_terms_for(subscription)
    new_terms = terms_bounded(
        hypothetical_terms(subscription, plan_version=new_version, quantity=new_quantity),
        fields=tuple(name for name, given in (("plan", plan), ("quantity", quantity)) if given is not None),
        fix="choose another plan or fewer seats" if plan is not None else "choose fewer seats")
    target_plan = new_version.plan
    upgrade = is_upgrade(old_terms, new_terms)
    timing = timing or (target_plan.upgrade_timing if upgrade else target_plan.downgrade_timing)
    behavior = proration_behavior or target_plan.proration_behavior
    now = clock.now()
    if subscription.status == S.TRIALING:
        timing, behavior = ChangeTiming.IMMEDIATE, ProrationBehavior.NONE  # nothing paid yet to prorate
    if timing == ChangeTiming.PERIOD_END:
        return ChangePlan(timing=timing, proration_behavior=ProrationBehavior.NONE,
                          effective_at=subscription.current_period_end, new_plan_version=new_version,
                          new_quantity=new_quantity, next_renewal_at=subscription.current_period_end,
                          next_renewal_amount=new_terms.recurring_amount, currency=subscription.currency)
    interval_changes = (target_plan.interval, target_plan.interval_count) != (
        subscription.plan.interval, subscription.plan.interval_count)
    new_period_end = (periods.boundary(now, target_plan.interval, target_plan.interval_count, 1)
                      if interval_changes and subscription.status != S.TRIALING else None)
    lines = []
    if behavior != ProrationBehavior.NONE:
        terms_bounded(old_terms, fields=("proration_behavior",), fix=UNCREDITABLE)
        lines = proration_lines(old=old_terms, new=new_terms, period_start=subscription.current_period_start,
                                period_end=subscription.current_period_end, at=now, new_period_end=new_period_end)
    return ChangePlan(timing=timing, proration_behavior=behavior, effective_at=now, new_plan_version=new_version,
                      new_quantity=new_quantity, proration=lines, period_restarts=new_period_end is not None,
                      next_renewal_at=new_period_end or subscription.current_period_end,
                      next_renewal_amount=new_terms.recurring_amount, currency=subscription.currency)


def subscription_change_preview(*, subscription: Subscription, plan: Plan | None = None,
                                quantity: int | None = None, timing: str | None = None,
                                proration_behavior: str | None = None) -> ChangePlan:
    """What `subscription_change` would do now, without writing anything."""
    return _plan_change(subscription, plan=plan, quantity=quantity, timing=timing,
                        proration_behavior=proration_behavior)


@transaction.atomic
def subscription_change(*, subscription: Subscription, plan: Plan | None = None, quantity: int | None = None,
                        timing: str | None = None, proration_behavior: str | None = None) -> ChangePlan:
    """Change plan and/or seats, now (with prorations) or at period end (a scheduled change).

    Defaults come from the target plan: upgrades `upgrade_timing` (immediate),
    downgrades `downgrade_timing` (period end), and its `proration_behavior`.
    """
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    change = _plan_change(subscription, plan=plan, quantity=quantity, timing=timing,
                          proration_behavior=proration_behavior)
    before = snapshot(subscription)
    ScheduledChange.objects.filter(subscription=subscription, status=ScheduledChangeStatus.PENDING).update(
        status=ScheduledChangeStatus.CANCELED)
    if change.timing == ChangeTiming.PERIOD_END:
        ScheduledChange.objects.create(account_id=subscription.account_id, subscription=subscription,
                                       plan_version=change.new_plan_version, quantity=change.new_quantity,
                                       effective_at=change.effective_at)
        record(subscription, "change_scheduled", before, event="updated",
               extra={"scheduled_change": {"plan_version_id": change.new_plan_version.pk,
                                           "quantity": change.new_quantity, "effective_at": change.effective_at}})
        return change
    old_version = subscription.plan_version
    now = change.effective_at
    for line in change.proration:
        ProrationItem.objects.create(
            account_id=subscription.account_id, subscription=subscription, kind=line.kind,
            description=line.description, amount=line.amount, full_amount=line.full_amount,
            currency=subscription.currency, period_start=line.period_start, period_end=line.period_end,
            proration_factor=line.proration_factor, old_plan_version=old_version,
            new_plan_version=change.new_plan_version, quantity=line.quantity,
            bill_immediately=change.proration_behavior == ProrationBehavior.ALWAYS_INVOICE, created_at=now)
    plan_version_apply(subscription, change.new_plan_version, change.new_quantity)
    if change.period_restarts:
        subscription.billing_cycle_anchor = now
        subscription.current_period_start = now
        subscription.current_period_end = change.next_renewal_at
    subscription.save()
    record(subscription, "changed", before, event="updated",
           extra={"proration_behavior": change.proration_behavior, "invoice_now": change.amount_due_now != 0
                  or change.proration_behavior == ProrationBehavior.ALWAYS_INVOICE,
                  "proration_total": change.proration_total})
    return change


def plan_version_apply(subscription: Subscription, version: PlanVersion, quantity: int,
                   at: datetime | None = None) -> None:
    """Put a subscription on a plan version and quantity, in the caller's transaction (the caller saves it).

    Moving to another plan drops the old plan's price overrides and ends discounts the new plan is not covered by.
    """
    if version.pk != subscription.plan_version_id:
        if version.plan_id != subscription.plan_id:
            subscription.flat_amount_override = subscription.seat_amount_override = None
            subscription.included_seats_override = None
            SubscriptionMetricOverride.objects.filter(subscription=subscription).delete()
            _end_discounts_not_covering(subscription, version.plan_id, at or clock.now())
        subscription.plan_version = version
        subscription.plan = version.plan
    subscription.quantity = quantity


def _end_discounts_not_covering(subscription: Subscription, plan_id: int, at: datetime) -> None:
    """A coupon restricted to plans stops when the subscription moves to a plan it does not cover."""
    for discount in SubscriptionDiscount.objects.select_for_update().filter(
            subscription=subscription, status=DiscountStatus.ACTIVE).select_related("coupon"):
        restricted = set(discount.coupon.plans.values_list("pk", flat=True))
        if restricted and plan_id not in restricted:
            before = snapshot(discount)
            discount.status, discount.ended_at = DiscountStatus.ENDED, at
            discount.save(update_fields=["status", "ended_at"])
            audit_record(action="subscription.discount_ended", instance=discount, before=before,
                         after=snapshot(discount))


@transaction.atomic
def subscription_scheduled_change_cancel(*, subscription: Subscription) -> Subscription:
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    pending = ScheduledChange.objects.filter(subscription=subscription, status=ScheduledChangeStatus.PENDING)
    if not pending.exists():
        raise InvalidTransition("This subscription has no scheduled change.")
    before = snapshot(subscription)
    pending.update(status=ScheduledChangeStatus.CANCELED)
    record(subscription, "scheduled_change_canceled", before, event="updated")
    return subscription



@transaction.atomic
def subscription_collection_method_set(*, subscription: Subscription, collection_method: str | None) -> Subscription:
    """How this subscription's invoices are collected, over the account's own: `collection_method` in its
    metadata, which the renewal reads (`invoicing.services.renewal_decision.collection_method_for`). None
    goes back to the account's."""
    if collection_method is not None and collection_method not in CollectionMethod.values:
        raise ValidationFailed({"collection_method": f"Must be one of {', '.join(CollectionMethod.values)}."})
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    metadata = dict(subscription.metadata or {})
    if collection_method is None:
        metadata.pop("collection_method", None)
    else:
        metadata["collection_method"] = collection_method
    if metadata == (subscription.metadata or {}):
        return subscription
    before = snapshot(subscription)
    subscription.metadata = metadata
    subscription.save(update_fields=["metadata", "updated_at"])
    record(subscription, "collection_method_changed", before, event="updated",
           extra={"collection_method": collection_method})
    return subscription

# --- pause, resume, cancel -----------------------------------------------------------------------------------


@transaction.atomic
def subscription_pause(*, subscription: Subscription, bill_during_pause: bool = False,
                       resume_at: datetime | None = None) -> Subscription:
    """Pause the service. `bill_during_pause` keeps invoicing the flat fee; `resume_at` resumes by itself."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    TRANSITIONS.check(subscription.status, S.PAUSED, verb="pause")  # the state first, then the input
    now = clock.now()
    if resume_at is not None and resume_at <= now:
        raise ValidationFailed({"resume_at": "Must be in the future."})
    return status_change(subscription, S.PAUSED, "paused", snapshot(subscription), event="paused", verb="pause",
                         paused_at=now, bill_during_pause=bill_during_pause, resume_at=resume_at)


@transaction.atomic
def subscription_resume(*, subscription: Subscription) -> Subscription:
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    # A trial paused before its end is still in its trial period: its end must end the trial, not renew.
    in_trial = (subscription.trial_end is not None and subscription.current_period_end == subscription.trial_end
                and subscription.trial_end > clock.now())
    # Only a paused subscription resumes (a trialing one may become active too, but by ending its trial).
    return status_change(subscription, S.TRIALING if in_trial else S.ACTIVE, "resumed", snapshot(subscription),
                         event="resumed", verb="resume", from_=(S.PAUSED,), paused_at=None, resume_at=None,
                         bill_during_pause=False)


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, at_period_end: bool = True, reason: str = "",
                        proration_behavior: str = ProrationBehavior.NONE) -> Subscription:
    """Cancel at the end of the period (default; undoable) or now (optionally crediting unused time)."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    TRANSITIONS.check(subscription.status, S.CANCELED, verb="cancel")  # also before a cancellation at period end
    now = clock.now()
    before = snapshot(subscription)
    subscription.cancel_reason = reason[:200]
    if at_period_end and subscription.status != S.INCOMPLETE:
        if subscription.cancel_at_period_end:
            raise InvalidTransition("This subscription is already set to cancel at period end.")
        subscription.cancel_at_period_end = True
        subscription.canceled_at = now
        subscription.save()
        record(subscription, "cancel_scheduled", before, event="updated")
        return subscription
    if proration_behavior not in ProrationBehavior.values:
        raise ValidationFailed({"proration_behavior": f"Must be one of {', '.join(ProrationBehavior.values)}."})
    if proration_behavior != ProrationBehavior.NONE and subscription.status in (S.ACTIVE, S.PAST_DUE):
        terms = terms_bounded(plan_terms_for(subscription), fields=("proration_behavior",), fix=UNCREDITABLE)
        zero = hypothetical_terms(subscription, quantity=subscription.quantity)
        lines = proration_lines(old=terms, new=_no_charge(zero), period_start=subscription.current_period_start,
                                period_end=subscription.current_period_end, at=now)
        for line in lines:
            ProrationItem.objects.create(
                account_id=subscription.account_id, subscription=subscription, kind=line.kind,
                description=line.description, amount=line.amount, full_amount=line.full_amount,
                currency=subscription.currency, period_start=line.period_start, period_end=line.period_end,
                proration_factor=line.proration_factor, old_plan_version=subscription.plan_version,
                new_plan_version=None, quantity=line.quantity,
                bill_immediately=proration_behavior == ProrationBehavior.ALWAYS_INVOICE, created_at=now)
    return status_change(subscription, S.CANCELED, "canceled", before, event="canceled", verb="cancel",
                         **ending(subscription, now))


def _no_charge(terms):
    from dataclasses import replace

    return replace(terms, flat_amount=0, seat_amount=None)


def ending(subscription: Subscription, at: datetime) -> dict:
    """What ending a subscription at `at` writes besides its status (canceled); its pending scheduled
    change is canceled now."""
    ScheduledChange.objects.filter(subscription=subscription, status=ScheduledChangeStatus.PENDING).update(
        status=ScheduledChangeStatus.CANCELED)
    return {"canceled_at": subscription.canceled_at or at, "ended_at": at, "cancel_at_period_end": False}


@transaction.atomic
def subscription_cancel_undo(*, subscription: Subscription) -> Subscription:
    """Keep a subscription that was set to cancel at period end."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if subscription.status == S.CANCELED or not subscription.cancel_at_period_end:
        raise InvalidTransition("This subscription has no scheduled cancellation to undo.",
                                fields={"status": [subscription.status]})
    before = snapshot(subscription)
    subscription.cancel_at_period_end = False
    subscription.canceled_at = None
    subscription.cancel_reason = ""
    subscription.save()
    record(subscription, "cancel_undone", before, event="updated")
    return subscription


# --- payment-driven transitions (called by payments / invoicing) ---------------------------------------------


@transaction.atomic
def subscription_mark_past_due(*, subscription: Subscription) -> Subscription:
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if subscription.status == S.PAST_DUE:
        return subscription  # a replayed payment failure
    return status_change(subscription, S.PAST_DUE, "past_due", snapshot(subscription), event="updated",
                         verb="mark past due")


@transaction.atomic
def subscription_activate(*, subscription: Subscription) -> Subscription:
    """A payment succeeded: incomplete or past_due becomes active (a replay changes nothing)."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if subscription.status == S.ACTIVE:
        return subscription
    # Not from a trial or a pause: those become active by ending the trial or resuming.
    return status_change(subscription, S.ACTIVE, "activated", snapshot(subscription), event="updated",
                         verb="activate", from_=(S.INCOMPLETE, S.PAST_DUE))


# --- trials --------------------------------------------------------------------------------------------------


def has_payment_method(account_id: int) -> bool:
    """A usable payment method on file (kept by the payments app), looked up loosely to avoid a hard dependency."""
    from django.apps import apps
    from django.core.exceptions import FieldError

    try:
        model = apps.get_model("payments", "PaymentMethod")
    except LookupError:
        return False
    try:
        return model.objects.filter(account_id=account_id, removed_at__isnull=True).exists()
    except FieldError:
        return model.objects.filter(account_id=account_id).exists()


def trial_outcome(subscription: Subscription) -> str:
    if has_payment_method(subscription.account_id) or subscription.trial_end_behavior == TrialEndBehavior.ACTIVATE:
        return S.ACTIVE
    if subscription.trial_end_behavior == TrialEndBehavior.CANCEL:
        return S.CANCELED
    return S.INCOMPLETE


def start_paid_period(subscription: Subscription, at: datetime) -> None:
    subscription.trial_end = at
    subscription.billing_cycle_anchor = at
    subscription.current_period_start = at
    subscription.current_period_end = periods.boundary(at, subscription.plan.interval,
                                                       subscription.plan.interval_count, 1)


@transaction.atomic
def subscription_trial_end(*, subscription: Subscription) -> Subscription:
    """End a trial now (early, or when it is due): into active, incomplete or canceled."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    now = min(clock.now(), subscription.trial_end or clock.now())
    end_trial(subscription, now)
    return subscription


def end_trial(subscription: Subscription, at: datetime) -> None:
    """Inside a locked transaction: the trial is over at `at` (into active, incomplete or canceled)."""
    before = snapshot(subscription)
    outcome = trial_outcome(subscription)
    # Only from trialing: a paused trial resumes first (the table would let paused become active).
    TRANSITIONS.check(subscription.status, outcome, from_=(S.TRIALING,), verb="end the trial of")
    if outcome == S.CANCELED:
        subscription.trial_end = at
        status_change(subscription, S.CANCELED, "trial_ended", before, event="canceled",
                      extra={"reason": "trial_ended"}, verb="end the trial of", from_=(S.TRIALING,),
                      **ending(subscription, at))
        return
    start_paid_period(subscription, at)
    status_change(subscription, outcome, "trial_ended", before, event="updated", verb="end the trial of",
                  from_=(S.TRIALING,))


@transaction.atomic
def subscription_trial_will_end_notify(*, subscription: Subscription) -> bool:
    """Fire `trial_will_end` once, 3 days before the trial ends. Safe to run twice."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if (subscription.status != S.TRIALING or subscription.trial_will_end_sent_at is not None
            or subscription.trial_end is None or subscription.trial_end - TRIAL_WILL_END_NOTICE > clock.now()):
        return False
    before = snapshot(subscription)
    subscription.trial_will_end_sent_at = clock.now()
    subscription.save(update_fields=["trial_will_end_sent_at", "updated_at"])
    record(subscription, "trial_will_end", before, event="trial_will_end",
           extra={"trial_end": subscription.trial_end})
    return True
