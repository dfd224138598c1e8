"""Reads for the catalog, subscriptions, prorations, discounts and credits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet, Sum

from billing import clock
from billing.models import (
    LIVE_STATUSES,
    Coupon,
    CreditEntry,
    CreditKind,
    DiscountStatus,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanVersion,
    ProrationItem,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionDiscount,
    SubscriptionStatus,
)

BILLING_STATUSES = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def plans_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True, is_active=True, current_version__isnull=False).select_related(
        "current_version", "product")


def version_terms(prefix: str = "") -> tuple:
    """What the plan comparison shows of a plan version (prices, usage charges and limits, with their metrics),
    to prefetch from the version (or through `prefix`, e.g. "current_version__")."""
    return (f"{prefix}prices",
            Prefetch(f"{prefix}charges", queryset=PlanCharge.objects.select_related("metric")),
            Prefetch(f"{prefix}limits", queryset=PlanLimit.objects.select_related("metric")))


def plans_compared(*, current: Subscription | None = None) -> list[tuple[Plan, PlanVersion]]:
    """The plans a customer may choose, side by side in the catalog's order, each with the version it would get:
    the public plans at their current version, and the subscription's own plan at the version it is on (kept
    when only the seats change), first if it is not public. A fixed number of queries, whatever the catalog."""
    plans = list(plans_public().order_by("sort_order", "id").prefetch_related(*version_terms("current_version__")))
    compared = [(plan, plan.current_version) for plan in plans]
    if current is not None:
        version = PlanVersion.objects.select_related("plan").prefetch_related(*version_terms()).get(
            pk=current.plan_version_id)
        others = [(plan, v) for plan, v in compared if plan.pk != current.plan_id]
        mine = (version.plan, version)
        at = next((i for i, (plan, _v) in enumerate(compared) if plan.pk == current.plan_id), None)
        compared = others[:at] + [mine] + others[at:] if at is not None else [mine, *others]
    return compared


def plan_choosable(*, code: str, by_operator: bool = False) -> Plan | None:
    """The plan a customer may subscribe or move to by its code (the API's account keys, the console): public
    plans only; private plans are sold by finance (operator keys). The service then refuses an inactive one."""
    plan = Plan.objects.filter(code=code).first() if code else None
    return plan if plan is not None and (plan.is_public or by_operator) else None


def scheduled_change_pending(*, subscription_id: int) -> ScheduledChange | None:
    return (ScheduledChange.objects.filter(subscription_id=subscription_id, status=ScheduledChangeStatus.PENDING)
            .select_related("plan_version__plan").first())


def plans_all() -> QuerySet[Plan]:
    return Plan.objects.select_related("current_version", "product")


def subscriptions_of(*, account_id: int | None = None) -> QuerySet[Subscription]:
    qs = Subscription.objects.select_related("plan", "plan_version")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def subscription_shown(*, account_id: int) -> Subscription | None:
    """The subscription the console is about: the first live one, else the latest (paused, canceled...)."""
    subscriptions = Subscription.objects.filter(account_id=account_id).select_related("plan", "account")
    return (subscriptions.filter(status__in=LIVE_STATUSES).order_by("id").first()
            or subscriptions.order_by("-id").first())


def subscriptions_due(*, at: datetime | None = None) -> QuerySet[Subscription]:
    """Subscriptions whose current period has ended by `at` and whose state bills.

    Billing states: trialing, active, past_due, and paused with `bill_during_pause`.
    The caller bills the ended period, then calls
    `billing.services.subscription_period_advance(subscription=, expected_period_end=)`.
    """
    at = at or clock.now()
    return (
        Subscription.objects.filter(current_period_end__lte=at)
        .filter(Q(status__in=BILLING_STATUSES) | Q(status=SubscriptionStatus.PAUSED, bill_during_pause=True))
        .select_related("plan", "plan_version").order_by("current_period_end", "id")
    )


def subscriptions_to_advance_unbilled(*, at: datetime) -> QuerySet[Subscription]:
    """Paused subscriptions that are not billed: their periods roll on without an invoice."""
    return Subscription.objects.filter(current_period_end__lte=at, status=SubscriptionStatus.PAUSED,
                                       bill_during_pause=False).order_by("current_period_end", "id")


def proration_items_pending(*, subscription_id: int | None = None, account_id: int | None = None):
    qs = ProrationItem.objects.filter(invoiced_at__isnull=True)
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("created_at", "id")


def discounts_active(*, subscription_id: int) -> QuerySet[SubscriptionDiscount]:
    return SubscriptionDiscount.objects.filter(subscription_id=subscription_id,
                                               status=DiscountStatus.ACTIVE).select_related("coupon")


def credit_balance(*, account_id: int, at: datetime | None = None) -> dict[str, int]:
    """Usable credit per currency: unexpired grants minus what was drawn from them."""
    at = at or clock.now()
    remaining = credit_grants_remaining(account_id=account_id, at=at)
    balance: dict[str, int] = defaultdict(int)
    for grant, amount in remaining:
        balance[grant.currency] += amount
    return dict(balance)


def credit_grants_remaining(*, account_id: int, at: datetime | None = None, currency: str | None = None):
    """[(grant, remaining)] for unexpired grants with something left, soonest expiry first."""
    at = at or clock.now()
    grants = CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.GRANT).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at))
    if currency:
        grants = grants.filter(currency=currency)
    drawn = dict(
        CreditEntry.objects.filter(grant__in=grants).values("grant_id").annotate(total=Sum("amount"))
        .values_list("grant_id", "total")
    )
    result = []
    for grant in grants.order_by("expires_at", "created_at", "id"):  # NULL expiry sorts last in PostgreSQL
        left = grant.amount + (drawn.get(grant.pk) or 0)
        if left > 0:
            result.append((grant, left))
    return result


def coupons_all() -> QuerySet[Coupon]:
    return Coupon.objects.prefetch_related("plans", "promotion_codes")
