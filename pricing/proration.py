"""Proration to the second: the fraction of a period a part of it covers, and an amount prorated.

    factor = seconds of the part / seconds of the period      (10 decimal places, half up)
    amount = round_half_up(full amount x factor)              (once, to the minor unit)

`proration_factor` is the one computation. A part that does not lie inside its period is
refused (ValueError): a factor silently clamped to 0 or 1 would credit or charge a whole
period, or nothing, for a caller's mistake. Where a moment may fall outside the period on
purpose (a plan change before the period starts, or after it ended and before the renewal
ran), `remaining_factor` says what is left of the period at that moment: all of it before
the period, none after it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .money import FACTOR_QUANTUM, half_up
from .periods import Period


def proration_factor(full: Period, part: Period) -> Decimal:
    """The fraction of `full` that `part` covers, to the second; ValueError when `part` is not inside `full`."""
    if part.start < full.start or part.end > full.end:
        raise ValueError("the part must lie inside the full period")
    return half_up(Decimal(part.seconds) / Decimal(full.seconds), FACTOR_QUANTUM)


def remaining_factor(full: Period, at: datetime) -> Decimal:
    """The fraction of `full` still ahead at `at`: 1 before it starts, 0 once it has ended."""
    if at <= full.start:
        return half_up(Decimal(1), FACTOR_QUANTUM)
    if at >= full.end:
        return half_up(Decimal(0), FACTOR_QUANTUM)
    return proration_factor(full, Period(at, full.end))


def prorate(amount: int, factor: Decimal) -> int:
    """An amount in minor units times a factor, rounded once, half up."""
    return int(half_up(Decimal(amount) * factor))
