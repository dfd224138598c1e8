"""Proration: what a change costs, computed to the second. Pure functions, no writes.

A change at `at` inside the period [start, end) credits the unused part of the old
recurring price and charges the rest of the period at the new one (the maths is
`pricing.proration`):

    factor = (end - at) / (end - start)      (seconds, 10 decimal places, half up)
    credit = -round_half_up(old_amount * factor)
    charge = +round_half_up(new_amount * factor)

A change before the period starts credits all of it; one after it ended (the renewal
has not run yet) has nothing left to prorate (`pricing.proration.remaining_factor`).

When the interval changes (monthly to yearly) the period restarts at `at`: the old
price is credited for its unused time and the new one charged for a whole period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.models import ProrationKind
from billing.selectors.terms import PlanTerms
from pricing.periods import Period
from pricing.proration import prorate, remaining_factor

YEARLY_MULTIPLIER = {"day": Decimal(365), "week": Decimal(52), "month": Decimal(12), "year": Decimal(1)}


def yearly_amount(terms: PlanTerms) -> Decimal:
    return Decimal(terms.recurring_amount) * YEARLY_MULTIPLIER[terms.interval] / terms.interval_count


def is_upgrade(old: PlanTerms, new: PlanTerms) -> bool:
    """More money per year is an upgrade; the same price counts as one (no reason to wait)."""
    return yearly_amount(new) >= yearly_amount(old)


@dataclass(frozen=True)
class ProrationLine:
    kind: str
    description: str
    amount: int
    full_amount: int
    period_start: datetime
    period_end: datetime
    proration_factor: Decimal
    quantity: int


def _describe(terms: PlanTerms) -> str:
    seats = f" × {terms.quantity} seats" if terms.seat_amount is not None else ""
    return f"{terms.plan_name}{seats}"


def proration_lines(*, old: PlanTerms, new: PlanTerms, period_start: datetime, period_end: datetime,
                    at: datetime, new_period_end: datetime | None = None) -> list[ProrationLine]:
    """Credit for the old price's unused time, charge for the new price until the period ends.

    `new_period_end` is given when the change restarts the period (interval change).
    """
    lines = []
    factor = remaining_factor(Period(period_start, period_end), at)
    if old.recurring_amount and factor > 0:
        lines.append(ProrationLine(
            kind=ProrationKind.CREDIT, description=f"Unused time on {_describe(old)}",
            amount=-prorate(old.recurring_amount, factor), full_amount=old.recurring_amount,
            period_start=at, period_end=period_end, proration_factor=factor, quantity=old.quantity))
    if new_period_end is not None:
        if new.recurring_amount:
            lines.append(ProrationLine(
                kind=ProrationKind.CHARGE, description=f"{_describe(new)}",
                amount=new.recurring_amount, full_amount=new.recurring_amount, period_start=at,
                period_end=new_period_end, proration_factor=Decimal(1), quantity=new.quantity))
    elif new.recurring_amount and factor > 0:
        lines.append(ProrationLine(
            kind=ProrationKind.CHARGE, description=f"Remaining time on {_describe(new)}",
            amount=prorate(new.recurring_amount, factor), full_amount=new.recurring_amount,
            period_start=at, period_end=period_end, proration_factor=factor, quantity=new.quantity))
    return lines
