"""Recurring revenue: what the paying subscriptions bring in a month, per currency.

MRR counts every active or past-due subscription's recurring fee (the flat fee plus the seats beyond
those included, with the subscription's own overrides), net of its recurring discount (a coupon that
lasts for a number of periods or forever; a one-off coupon is not recurring), normalized to a month:
a year / 12, a month / 1 (a quarter, 3 months, / 3), a week x 52 / 12, a day x 365 / 12, each divided
by the plan's interval count. Tax, usage charges and one-off items are not in it. Each subscription's
fee for one period is worked out in minor units as the invoice would (the discount rounded half up,
an amount off never below zero), and the sum per currency is rounded once, half up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from billing.models import (
    UNLIMITED,
    CouponDuration,
    Interval,
    PlanPrice,
    Subscription,
    SubscriptionDiscount,
    SubscriptionStatus,
)
from billing.models.subscriptions import DiscountStatus

PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
MONTHS_PER_INTERVAL = {Interval.YEAR: Decimal(12), Interval.MONTH: Decimal(1),
                       Interval.WEEK: Decimal(12) / Decimal(52), Interval.DAY: Decimal(12) / Decimal(365)}
RECURRING_DURATIONS = (CouponDuration.REPEATING, CouponDuration.FOREVER)
HUNDRED = Decimal(100)


def subscriptions_paying_by_plan() -> dict[str, int]:
    """Active and past-due subscriptions per plan code."""
    rows = Subscription.objects.filter(status__in=PAYING).values_list("plan__code", flat=True)
    return dict(Counter(rows))


def recurring_revenue_monthly() -> dict[str, int]:
    """MRR per currency, in minor units (the module's docstring says what counts)."""
    subscriptions = list(Subscription.objects.filter(status__in=PAYING).values_list(
        "pk", "currency", "quantity", "plan_version_id", "plan_version__included_seats", "plan__interval",
        "plan__interval_count", "flat_amount_override", "seat_amount_override", "included_seats_override"))
    versions = {row[3] for row in subscriptions}
    prices = {(version, currency): (flat, seat) for version, currency, flat, seat in PlanPrice.objects.filter(
        version_id__in=versions).values_list("version_id", "currency", "flat_amount", "seat_amount")}
    discounts = {sub: (percent, amount, currency) for sub, percent, amount, currency in
                 SubscriptionDiscount.objects.filter(status=DiscountStatus.ACTIVE,
                                                     coupon__duration__in=RECURRING_DURATIONS,
                                                     subscription__status__in=PAYING)
                 .values_list("subscription_id", "coupon__percent_off", "coupon__amount_off", "coupon__currency")}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for (pk, currency, quantity, version, included, interval, count,
         flat_override, seat_override, included_override) in subscriptions:
        flat, seat = prices.get((version, currency), (0, None))
        flat = flat if flat_override is None else flat_override
        seat = seat if seat_override is None else seat_override
        included = included if included_override is None else included_override
        fee = flat
        if seat is not None and included != UNLIMITED:
            fee += seat * max(0, quantity - max(0, included))
        fee = period_fee_discounted(fee, currency, discounts.get(pk))
        totals[currency] += fee / (MONTHS_PER_INTERVAL[interval] * count)
    return {currency: int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for currency, total in totals.items()}


def period_fee_discounted(fee: int, currency: str, discount: tuple | None) -> int:
    """A period's recurring fee less its recurring discount, as the invoice takes it off."""
    if discount is None:
        return fee
    percent, amount, coupon_currency = discount
    if percent is not None:
        off = int((Decimal(fee) * Decimal(percent) / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    elif (coupon_currency or "").upper() == currency.upper():
        off = amount
    else:
        off = 0  # an amount in another currency does not apply
    return max(0, fee - off)
