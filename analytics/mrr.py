"""MRR, defined once (docs/metrics.md, "MRR"): pure functions from a subscription's terms to its MRR.

A subscription's MRR is its recurring fee for one period (the flat fee plus the seats beyond those
included, with the subscription's own overrides), less its recurring discount (a coupon that lasts for
a number of periods or forever, taken off as the invoice takes it: a percentage rounded half up, an
amount never below zero), normalized to a month (a year / 12, a quarter / 3, a week x 52 / 12, a day x
365 / 12) and rounded half up to the minor unit. Tax, usage and one-off charges are not in it, and it is
zero unless the subscription is active or past due. Rounding each subscription once keeps the month's
movements adding up to the change in MRR exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from billing.models import UNLIMITED, CouponDuration, Interval, SubscriptionStatus
from pricing.money import half_up

PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
MONTHS_PER_INTERVAL = {Interval.YEAR: Decimal(12), Interval.MONTH: Decimal(1),
                       Interval.WEEK: Decimal(12) / Decimal(52), Interval.DAY: Decimal(12) / Decimal(365)}
RECURRING_DURATIONS = (CouponDuration.REPEATING, CouponDuration.FOREVER)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    percent_off: Decimal | None
    amount_off: int | None
    currency: str


@dataclass(frozen=True)
class Terms:
    """What a subscription's MRR depends on, as read from the catalog and the subscription."""

    currency: str
    quantity: int
    flat: int
    seat: int | None
    included_seats: int
    interval: str
    interval_count: int
    discount: Discount | None = None


def period_fee(terms: Terms) -> int:
    """The recurring fee of one period, before discounts."""
    fee = terms.flat
    if terms.seat is not None and terms.included_seats != UNLIMITED:
        fee += terms.seat * max(0, terms.quantity - max(0, terms.included_seats))
    return fee


def period_fee_discounted(fee: int, currency: str, discount: Discount | None) -> int:
    """A period's recurring fee less its recurring discount, as the invoice takes it off."""
    if discount is None:
        return fee
    if discount.percent_off is not None:
        off = int(half_up(Decimal(fee) * Decimal(discount.percent_off) / HUNDRED))
    elif (discount.currency or "").upper() == currency.upper():
        off = discount.amount_off or 0
    else:
        off = 0  # an amount in another currency does not apply
    return max(0, fee - off)


def monthly_recurring(terms: Terms, status: str) -> int:
    """The subscription's MRR in minor units: zero unless it pays."""
    if status not in PAYING:
        return 0
    fee = period_fee_discounted(period_fee(terms), terms.currency, terms.discount)
    return int(half_up(Decimal(fee) / (MONTHS_PER_INTERVAL[terms.interval] * terms.interval_count)))


@dataclass(frozen=True)
class Lifetime:
    """The dates a past day's status is rebuilt from (the backfill's only source)."""

    status: str
    started_at: datetime
    trial_start: datetime | None
    trial_end: datetime | None
    paused_at: datetime | None
    ended_at: datetime | None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    from datetime import UTC

    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def status_on(life: Lifetime, day: date) -> str | None:
    """The status a subscription had at the end of a past day, rebuilt from its dates; None when it had
    not started or had ended before the day. What the dates cannot tell (a spell past due, a pause that
    has ended) is taken as active: docs/metrics.md, "Backfill"."""
    start, end = day_bounds(day)
    if life.started_at >= end:
        return None
    if life.ended_at is not None and life.ended_at < end:
        return SubscriptionStatus.CANCELED if life.ended_at >= start else None
    if life.trial_start is not None and life.trial_end is not None and life.trial_start < end <= life.trial_end:
        return SubscriptionStatus.TRIALING
    if life.status == SubscriptionStatus.PAUSED and life.paused_at is not None and life.paused_at < end:
        return SubscriptionStatus.PAUSED
    if life.status in (SubscriptionStatus.INCOMPLETE, SubscriptionStatus.INCOMPLETE_EXPIRED):
        return life.status
    return SubscriptionStatus.ACTIVE
