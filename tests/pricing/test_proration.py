"""One proration factor, to the second: a part of a period refused outside it, what is left of it at any moment."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing import Period, prorate, proration_factor, remaining_factor


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


FEBRUARY = Period(utc(2026, 2, 1), utc(2026, 3, 1))


def test_the_factor_is_counted_in_seconds():
    # February 2026 has 28 days = 2,419,200 s; one second before the end leaves 1 s.
    assert remaining_factor(Period(utc(2026, 2, 1), utc(2026, 3, 1)), utc(2026, 2, 28, 23, 59, 59)) == Decimal(
        "0.0000004134")
    assert remaining_factor(Period(utc(2026, 2, 1), utc(2026, 3, 1)), utc(2026, 2, 15)) == Decimal("0.5")
    assert remaining_factor(Period(utc(2026, 2, 1), utc(2026, 3, 1)), utc(2026, 1, 1)) == Decimal(1)
    assert remaining_factor(Period(utc(2026, 2, 1), utc(2026, 3, 1)), utc(2026, 3, 2)) == Decimal(0)


def test_amounts_are_rounded_once_half_up():
    assert prorate(999, Decimal("0.5")) == 500  # 499.5 -> 500
    assert prorate(1001, Decimal("0.5")) == 501  # 500.5 -> 501


def test_a_part_reaching_outside_its_period_is_refused_not_clamped():
    """Where billing's copy clamped and the engine's raised: a part that starts inside the period but ends
    after it (or starts before it) is a caller's mistake, and a clamped factor would silently bill it."""
    with pytest.raises(ValueError, match="inside the full period"):
        proration_factor(FEBRUARY, Period(utc(2026, 2, 15), utc(2026, 3, 15)))
    with pytest.raises(ValueError, match="inside the full period"):
        proration_factor(FEBRUARY, Period(utc(2026, 1, 15), utc(2026, 2, 15)))
    assert proration_factor(FEBRUARY, Period(utc(2026, 2, 15), utc(2026, 3, 1))) == Decimal("0.5")


def test_what_is_left_of_a_period_is_all_of_it_before_it_starts_and_none_once_it_has_ended():
    assert remaining_factor(FEBRUARY, FEBRUARY.start) == 1
    assert remaining_factor(FEBRUARY, FEBRUARY.end) == 0
    assert remaining_factor(FEBRUARY, utc(2027, 1, 1)) == 0
    # Inside the period it is the one factor, for the part from the moment to the end.
    at = utc(2026, 2, 10, 7, 30, 11)
    assert remaining_factor(FEBRUARY, at) == proration_factor(FEBRUARY, Period(at, FEBRUARY.end))


def test_an_empty_period_has_no_factor():
    """Billing's copy answered 0 for a period that ends where it starts; no such period can be made."""
    with pytest.raises(ValueError, match="must end after it starts"):
        remaining_factor(Period(FEBRUARY.start, FEBRUARY.start), utc(2026, 2, 1))
