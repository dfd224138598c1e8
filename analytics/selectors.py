"""Reads behind the snapshots: each subscription's terms and dates, in chunks by id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db.models import Q

from analytics.mrr import RECURRING_DURATIONS, Discount, Lifetime, Terms, day_bounds
from billing.models import PlanPrice, Subscription, SubscriptionDiscount, SubscriptionStatus
from billing.models.subscriptions import DiscountStatus

CHUNK = 5_000
ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)
FIELDS = ("pk", "account_id", "plan_id", "currency", "quantity", "status", "plan_version_id",
          "plan_version__included_seats", "plan__interval", "plan__interval_count", "flat_amount_override",
          "seat_amount_override", "included_seats_override", "started_at", "trial_start", "trial_end", "paused_at",
          "ended_at", "canceled_at")


def subscriptions_for_day(day: date) -> Iterator[list[tuple[dict, Terms, Lifetime]]]:
    """Every subscription that had started by the end of `day` and had not ended before it, in chunks:
    (its ids, its terms today, its dates). Ended ones that are gone from the day on are left out, so
    the table holds the live subscriptions, not every one that ever was."""
    start, end = day_bounds(day)
    rows = (Subscription.objects.filter(started_at__lt=end)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
            .exclude(Q(status__in=ENDED, ended_at__isnull=True, canceled_at__lt=start))
            .order_by("pk").values_list(*FIELDS))
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return
        last = chunk[-1][0]
        yield _with_terms(chunk)


def _with_terms(chunk: list[tuple]) -> list[tuple[dict, Terms, Lifetime]]:
    versions = {row[6] for row in chunk}
    prices = {(version, currency): (flat, seat) for version, currency, flat, seat in PlanPrice.objects.filter(
        version_id__in=versions).values_list("version_id", "currency", "flat_amount", "seat_amount")}
    discounts = {sub: Discount(percent, amount, currency or "") for sub, percent, amount, currency in
                 SubscriptionDiscount.objects.filter(status=DiscountStatus.ACTIVE,
                                                     coupon__duration__in=RECURRING_DURATIONS,
                                                     subscription_id__in=[row[0] for row in chunk])
                 .values_list("subscription_id", "coupon__percent_off", "coupon__amount_off", "coupon__currency")}
    out = []
    for (pk, account_id, plan_id, currency, quantity, status, version, included, interval, count, flat_override,
         seat_override, included_override, started_at, trial_start, trial_end, paused_at, ended_at,
         canceled_at) in chunk:
        flat, seat = prices.get((version, currency), (0, None))
        terms = Terms(currency=currency, quantity=quantity,
                      flat=flat if flat_override is None else flat_override,
                      seat=seat if seat_override is None else seat_override,
                      included_seats=included if included_override is None else included_override,
                      interval=interval, interval_count=count, discount=discounts.get(pk))
        if ended_at is None and status in ENDED:
            ended_at = canceled_at
        life = Lifetime(status=status, started_at=started_at, trial_start=trial_start, trial_end=trial_end,
                        paused_at=paused_at, ended_at=ended_at)
        ids = {"subscription_id": pk, "account_id": account_id, "plan_id": plan_id, "currency": currency,
               "quantity": quantity, "status": status}
        out.append((ids, terms, life))
    return out
