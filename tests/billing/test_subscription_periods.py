"""A subscription's period advances from its anchor, once per period (the boundaries: tests/pricing/test_periods.py)."""

import pytest

from billing import clock
from billing.services import subscription_create, subscription_period_advance
from tests.billing.catalog_factories import plan, utc


@pytest.mark.django_db
def test_advancing_a_subscription_month_by_month_keeps_the_anchor_day(operator, make_account):
    monthly = plan(code="monthly")
    with clock.frozen(utc(2026, 1, 31, 12)):
        sub = subscription_create(account=make_account(), plan=monthly)
    seen = []
    for _ in range(4):
        with clock.frozen(sub.current_period_end):
            assert subscription_period_advance(subscription=sub, expected_period_end=sub.current_period_end)
        sub.refresh_from_db()
        seen.append((sub.current_period_start, sub.current_period_end))
    assert seen == [(utc(2026, 2, 28, 12), utc(2026, 3, 31, 12)), (utc(2026, 3, 31, 12), utc(2026, 4, 30, 12)),
                    (utc(2026, 4, 30, 12), utc(2026, 5, 31, 12)), (utc(2026, 5, 31, 12), utc(2026, 6, 30, 12))]
    assert sub.billing_cycle_anchor == utc(2026, 1, 31, 12)


@pytest.mark.django_db
def test_period_advance_twice_for_the_same_period_moves_once(operator, make_account):
    monthly = plan(code="monthly")
    with clock.frozen(utc(2026, 3, 1)):
        sub = subscription_create(account=make_account(), plan=monthly)
    expected = sub.current_period_end
    with clock.frozen(utc(2026, 4, 2)):
        assert subscription_period_advance(subscription=sub, expected_period_end=expected) is True
        assert subscription_period_advance(subscription=sub, expected_period_end=expected) is False
    sub.refresh_from_db()
    assert (sub.current_period_start, sub.current_period_end) == (utc(2026, 4, 1), utc(2026, 5, 1))
