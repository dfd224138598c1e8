"""Revenue recognition by day over each line's service period, on a ledger worked out by hand."""

from datetime import date

import pytest

from analytics.recognition import USAGE_KINDS, revenue_by_month, revenue_recognition

pytestmark = pytest.mark.django_db


def test_recognized_and_deferred_per_month(ledger, operator):
    months = revenue_by_month(currency="USD", first=date(2027, 1, 1), last=date(2027, 3, 1))
    assert [(r.recognized, r.deferred) for r in months.values()] == [
        (1_530 + 10_192 + 5_000 + 3_100, 1_260 + 109_808),  # January
        (1_260 + 9_205 - 1_550, 100_603),  # February: the credit note's catch-up
        (10_192, 90_411),  # March
    ]


def test_a_lines_months_add_up_to_its_amount(ledger, operator):
    year = revenue_by_month(currency="USD", first=date(2027, 1, 1), last=date(2027, 12, 1))
    assert sum(r.recognized for r in year.values()) == 2_790 + 120_000 + 5_000 + 3_100 - 1_550
    assert year[date(2027, 12, 1)].deferred == 0


def test_per_product(ledger, operator):
    january = {r.product: r.recognized for r in revenue_recognition(currency="USD", first=date(2027, 1, 1),
                                                                     last=date(2027, 1, 1))}
    assert january == {"Platform": 10_192, "": 1_530 + 5_000 + 3_100}


def test_usage_alone_is_in_the_month_it_was_used(ledger, operator):
    months = revenue_by_month(currency="USD", first=date(2027, 1, 1), last=date(2027, 2, 1), kinds=USAGE_KINDS)
    assert [(r.recognized, r.deferred) for r in months.values()] == [(3_100, 0), (0, 0)]


def test_other_currencies_are_apart(ledger, operator):
    january = revenue_by_month(currency="EUR", first=date(2027, 1, 1), last=date(2027, 1, 1))[date(2027, 1, 1)]
    assert january.recognized == 99_900
