"""MRR (analytics/mrr.py, docs/metrics.md): each paying subscription's recurring fee, monthly-normalized,
net of recurring discounts, per currency, as today's snapshot holds it; worked out by hand below."""

from decimal import Decimal

import pytest

from analytics.dashboard_reads import mrr_latest
from analytics.models import MrrSnapshot
from analytics.services import mrr_snapshot_take
from billing.models import Subscription
from billing.selectors.revenue import subscriptions_paying_by_plan
from billing.services import coupon_create, subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(operator, make_account):
    """Subscriptions whose MRR is worked out by hand in the test (all amounts in minor units)."""
    coupon_create(code="quarter-off-forever", name="25% forever", percent_off=Decimal("25"), duration="forever")
    coupon_create(code="half-off-once", name="50% once", percent_off=Decimal("50"), duration="once")
    coupon_create(code="ten-eur-off", name="EUR 10 off", amount_off=1000, currency="EUR", duration="repeating",
                  duration_in_periods=6)
    coupon_create(code="ten-usd-off", name="USD 10 off", amount_off=1000, currency="USD", duration="forever")

    def subscribe(the_plan, quantity=1, currency=None, coupon=None, **kwargs):
        return subscription_create(account=make_account(), plan=the_plan, quantity=quantity, currency=currency,
                                   coupon_code=coupon, **kwargs)

    # 100.00 a month and 20.00 per seat beyond 2: 5 seats = 100 + 3 x 20 = 160.00, 25% off for ever = 120.00
    subscribe(plan("team", flat=10_000, seat=2_000, included_seats=2), quantity=5, coupon="quarter-off-forever")
    subscribe(plan("annual", flat=120_000, interval="year"))  # 1,200.00 a year = 100.00 a month
    subscribe(plan("quarterly", flat=30_000, interval_count=3))  # 300.00 a quarter = 100.00 a month
    weekly = subscribe(plan("weekly", flat=1_200, interval="week"))  # 12.00 x 52 / 12 = 52.00
    subscribe(plan("daily", flat=100, interval="day"))  # 1.00 x 365 / 12 = 30.416666...
    subscribe(plan("starter", flat=5_000), coupon="half-off-once")  # a one-off coupon is not recurring: 50.00
    subscribe(plan("tiny", flat=500), coupon="ten-usd-off")  # 5.00 less 10.00 off is nothing, not -5.00
    subscribe(plan("euro", flat=5_000, currency="EUR"), coupon="ten-eur-off")  # 50.00 - 10.00 = 40.00 EUR

    # Not paying: a trial, a canceled and a paused subscription.
    subscribe(plan("trial-plan", flat=99_900), trial_days=14)
    for status in ("canceled", "paused"):
        Subscription.objects.filter(pk=subscribe(plan(f"{status}-plan", flat=99_900)).pk).update(status=status)
    # Past due still counts.
    Subscription.objects.filter(pk=weekly.pk).update(status="past_due")


def test_mrr_is_the_monthly_normalized_recurring_fees_net_of_recurring_discounts(book):
    mrr_snapshot_take()
    # USD: 120.00 + 100.00 + 100.00 + 52.00 + 30.42 (30.416666... rounded per subscription) + 50.00 + 0
    assert mrr_latest() == {"USD": 45_242, "EUR": 4_000}
    by_plan = dict(MrrSnapshot.objects.values_list("plan__code", "mrr"))
    assert by_plan["daily"] == 3_042 and by_plan["weekly"] == 5_200 and by_plan["tiny"] == 0
    assert by_plan["trial-plan"] == by_plan["canceled-plan"] == by_plan["paused-plan"] == 0


def test_active_subscriptions_count_the_paying_ones_by_plan(book):
    assert subscriptions_paying_by_plan() == {
        "team": 1, "annual": 1, "quarterly": 1, "weekly": 1, "daily": 1, "starter": 1, "tiny": 1, "euro": 1}
