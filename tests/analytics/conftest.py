"""The hand-computed book of docs/metrics.md's worked example: monthly, quarterly and yearly plans, a 10%
forever coupon, seats, a trial, a pause, a cancellation, an upgrade and a downgrade within February,
two currencies; snapshots at the end of January, February and March 2027."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from analytics.services import mrr_snapshot_take
from billing import clock, tenancy
from billing.services import coupon_create, subscription_create
from billing.services.subscriptions import (
    subscription_cancel,
    subscription_change,
    subscription_pause,
    subscription_resume,
    subscription_trial_end,
)
from tests.billing.catalog_factories import plan


def at(*args) -> datetime:
    return datetime(*args, 12, tzinfo=UTC)


@pytest.fixture
def book(db, make_account):
    """All amounts in minor units; each subscription has an account of its own."""
    subs = {}
    with tenancy.operator_scope():
        coupon_create(code="ten-forever", name="10% forever", percent_off=Decimal("10"), duration="forever")
        basic = plan("basic", flat=5_000, trial_end_behavior="activate")  # 50.00 a month
        pro = plan("pro", flat=20_000)  # 200.00 a month
        quarterly = plan("quarterly", flat=30_000, interval_count=3)  # 300.00 a quarter = 100.00 a month
        yearly = plan("yearly", flat=120_000, interval="year")  # 1,200.00 a year = 100.00 a month
        team = plan("team", flat=10_000, seat=2_000, included_seats=2)  # 100.00 + 20.00 per seat beyond 2
        euro = plan("euro", flat=8_000, currency="EUR")  # 80.00 EUR a month

        def subscribe(name, the_plan, **kwargs):
            subs[name] = subscription_create(account=make_account(), plan=the_plan, **kwargs)

        with clock.frozen(at(2027, 1, 5)):
            subscribe("discounted", basic, coupon_code="ten-forever")  # 50.00 - 10% = 45.00
            subscribe("quarterly", quarterly)  # 100.00
            subscribe("yearly", yearly)  # 100.00
            subscribe("seats", team, quantity=5)  # 100.00 + 3 x 20.00 = 160.00
            subscribe("trial", basic, trial_days=30)  # trialing until 4 February: 0, then 50.00
            subscribe("paused", pro)  # 200.00, paused in February, resumed in March
            subscribe("canceled", basic)  # 50.00, canceled in February
            subscribe("upgraded", basic)  # 50.00, then pro: 200.00
            subscribe("downgraded", pro)  # 200.00, then basic: 50.00
            subscribe("euro", euro)  # 80.00 EUR
        with clock.frozen(at(2027, 1, 31)):
            mrr_snapshot_take()
        with clock.frozen(at(2027, 2, 4)):
            subscription_trial_end(subscription=subs["trial"])
        with clock.frozen(at(2027, 2, 10)):
            subscription_pause(subscription=subs["paused"])
            subscription_cancel(subscription=subs["canceled"], at_period_end=False)
            subscription_change(subscription=subs["upgraded"], plan=pro, timing="immediate")
            subscription_change(subscription=subs["downgraded"], plan=basic, timing="immediate")
            subscribe("new", basic)  # 50.00
            subscribe("new-euro", euro)  # 80.00 EUR
        with clock.frozen(at(2027, 2, 28)):
            mrr_snapshot_take()
        with clock.frozen(at(2027, 3, 3)):
            subscription_resume(subscription=subs["paused"])
        with clock.frozen(at(2027, 3, 31)):
            mrr_snapshot_take()
    return subs
