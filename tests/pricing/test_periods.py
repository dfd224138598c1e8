"""Periods are anchored on the start date, with month ends handled and no drift."""

from calendar import monthrange
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import periods


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_subscription_started_on_31_january_renews_on_the_last_day_of_february_then_31_march():
    anchor = utc(2026, 1, 31, 9, 30)
    ends = [periods.boundary(anchor, "month", 1, n) for n in range(1, 5)]
    assert ends == [utc(2026, 2, 28, 9, 30), utc(2026, 3, 31, 9, 30), utc(2026, 4, 30, 9, 30),
                    utc(2026, 5, 31, 9, 30)]


def test_leap_years_give_29_february():
    assert periods.boundary(utc(2028, 1, 31), "month", 1, 1) == utc(2028, 2, 29)
    assert periods.boundary(utc(2028, 2, 29), "year", 1, 1) == utc(2029, 2, 28)
    assert periods.boundary(utc(2028, 2, 29), "year", 1, 4) == utc(2032, 2, 29)


def test_quarterly_weekly_and_daily_intervals():
    assert periods.boundary(utc(2026, 11, 30), "month", 3, 1) == utc(2027, 2, 28)
    assert periods.boundary(utc(2026, 11, 30), "month", 3, 2) == utc(2027, 5, 30)
    assert periods.boundary(utc(2026, 1, 1), "week", 2, 1) == utc(2026, 1, 15)
    assert periods.boundary(utc(2026, 1, 1), "day", 1, 45) == utc(2026, 2, 15)


@pytest.mark.parametrize("moment, expected", [
    (utc(2026, 1, 31), utc(2026, 2, 28)),
    (utc(2026, 2, 27, 23, 59, 59), utc(2026, 2, 28)),
    (utc(2026, 2, 28), utc(2026, 3, 31)),
    (utc(2027, 1, 30), utc(2027, 1, 31)),
    (utc(2027, 1, 31), utc(2027, 2, 28)),
])
def test_next_boundary_after_any_moment_counts_from_the_anchor(moment, expected):
    assert periods.next_boundary_after(utc(2026, 1, 31), "month", 1, moment) == expected


def test_the_period_containing_a_moment():
    anchor = utc(2026, 1, 31)
    assert periods.period_containing(anchor, "month", 1, utc(2026, 3, 5)) == (utc(2026, 2, 28), utc(2026, 3, 31))
    assert periods.period_containing(anchor, "month", 1, utc(2026, 3, 31)) == (utc(2026, 3, 31), utc(2026, 4, 30))
    assert periods.period_containing(anchor, "month", 1, utc(2025, 12, 1)) == (anchor, utc(2026, 2, 28))


def _first_after_by_counting(anchor, interval, count, moment):
    """The first boundary after `moment`, counted one by one with relativedelta (`periods.step`)."""
    if moment < anchor:
        return anchor
    n = 1
    while anchor + periods.step(interval, count, n) <= moment:
        n += 1
    return anchor + periods.step(interval, count, n)


_anchors = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))


@settings(max_examples=400, deadline=None)
@given(anchor=_anchors, interval=st.sampled_from(["day", "week", "month", "year"]), count=st.integers(1, 12),
       n=st.integers(0, 40), later=st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=3000)))
def test_boundaries_are_relativedeltas_and_the_next_one_is_the_first_after(anchor, interval, count, n, later):
    assert periods.boundary(anchor, interval, count, n) == anchor + periods.step(interval, count, n)
    moment = anchor + later
    assert periods.next_boundary_after(anchor, interval, count, moment) == \
        _first_after_by_counting(anchor, interval, count, moment)
    start, end = periods.period_containing(anchor, interval, count, moment)
    assert start <= moment < end or moment < anchor


@pytest.mark.parametrize("day", [28, 29, 30, 31])
def test_month_ends_every_month_of_four_years(day):
    for month in range(1, 13):
        for year in (2027, 2028):
            if day > monthrange(year, month)[1]:
                continue
            anchor = datetime(year, month, day, 23, 59, 59, 999_999, tzinfo=UTC)
            for n in range(0, 49):
                assert periods.boundary(anchor, "month", 1, n) == anchor + periods.step("month", 1, n)
