"""Billing periods: a `Period` [start, end), and boundaries counted from the billing cycle
anchor, with month ends handled.

Every boundary is computed from the anchor (never from the previous boundary), so a
subscription anchored on 31 January renews on 28/29 February and again on 31 March
(relativedelta clips to the month's last day without drifting). Boundaries are
exact UTC timestamps: the anchor's time of day is kept, so an operator in another
time zone sees renewals at the same wall-clock time as the start, except across a
daylight-saving change, where the UTC instant stays fixed.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, datetime, timedelta

from dateutil.relativedelta import relativedelta

MAX_STEPS = 100_000


@dataclass(frozen=True)
class Period:
    """[start, end): what a line bills for; never empty."""

    start: datetime
    end: datetime

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())



def step(interval: str, count: int, n: int) -> relativedelta:
    n_units = count * n
    if interval == "day":
        return relativedelta(days=n_units)
    if interval == "week":
        return relativedelta(weeks=n_units)
    if interval == "month":
        return relativedelta(months=n_units)
    if interval == "year":
        return relativedelta(years=n_units)
    raise ValueError(f"unknown interval {interval!r}")


def boundary(anchor: datetime, interval: str, count: int, n: int) -> datetime:
    """The n-th period boundary after the anchor (n=0 is the anchor itself): `anchor + step(...)`,
    computed without building a relativedelta (a bill run computes one per subscription), with
    the same month-end clipping (tests/pricing/test_periods.py compares the two)."""
    n_units = count * n
    if interval == "month" or interval == "year":
        months = anchor.month - 1 + (n_units * 12 if interval == "year" else n_units)
        year, month = anchor.year + months // 12, months % 12 + 1
        if not MINYEAR <= year <= MAXYEAR:
            raise ValueError(f"year {year} is out of range")
        return anchor.replace(year=year, month=month, day=min(anchor.day, monthrange(year, month)[1]))
    if interval == "day":
        return anchor + timedelta(days=n_units)
    if interval == "week":
        return anchor + timedelta(weeks=n_units)
    raise ValueError(f"unknown interval {interval!r}")


def _first_after(anchor: datetime, interval: str, count: int, moment: datetime) -> tuple[int, datetime]:
    """(n, boundary n) of the first boundary strictly after `moment` (n=0 when `moment` is before the
    anchor), each boundary computed once."""
    if moment < anchor:
        return 0, anchor
    approx_days = {"day": 1, "week": 7, "month": 28, "year": 365}[interval] * count
    n = max(1, int((moment - anchor) / timedelta(days=approx_days)) - 1)
    found = boundary(anchor, interval, count, n)
    stepped = False
    while found <= moment:
        n += 1
        if n > MAX_STEPS:
            raise ValueError("period computation ran away")
        found, stepped = boundary(anchor, interval, count, n), True
    if not stepped:  # the guess may be past the first one: step back while the one before is after too
        while n > 1:
            before = boundary(anchor, interval, count, n - 1)
            if before <= moment:
                break
            n, found = n - 1, before
    return n, found


def _index_after(anchor: datetime, interval: str, count: int, moment: datetime) -> int:
    """The n of the first boundary strictly after `moment` (0 when `moment` is before the anchor)."""
    return _first_after(anchor, interval, count, moment)[0]


def next_boundary_after(anchor: datetime, interval: str, count: int, moment: datetime) -> datetime:
    """The first boundary strictly after `moment`."""
    return _first_after(anchor, interval, count, moment)[1]


def period_containing(anchor: datetime, interval: str, count: int, moment: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the period `moment` falls in (the first period when it is before the anchor)."""
    n = max(1, _index_after(anchor, interval, count, moment))
    return boundary(anchor, interval, count, n - 1), boundary(anchor, interval, count, n)
