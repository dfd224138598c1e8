"""Proration to the second: credit for unused time on the old price, charge for the rest on the new
(the factor and the rounding: tests/pricing/test_proration.py)."""

from decimal import Decimal

import pytest

from billing import clock
from billing.models import ProrationItem
from billing.selectors import proration_items_pending
from billing.services import subscription_change, subscription_change_preview, subscription_create
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def basic_and_pro(operator):
    return plan(code="basic", flat=3_000), plan(code="pro", flat=9_000)


def test_an_upgrade_mid_period_across_a_month_end_credits_and_charges_to_the_second(basic_and_pro, make_account,
                                                                                        operator):
    basic, pro = basic_and_pro
    with clock.frozen(utc(2026, 1, 31, 12)):
        sub = subscription_create(account=make_account(), plan=basic)
    assert sub.current_period_end == utc(2026, 2, 28, 12)
    # 14 days into a 28-day period: exactly half is left.
    with clock.frozen(utc(2026, 2, 14, 12)):
        change = subscription_change(subscription=sub, plan=pro)
    assert change.timing == "immediate"
    credit, charge = proration_items_pending(subscription_id=sub.pk)
    assert (credit.kind, credit.amount, credit.full_amount, credit.proration_factor) == (
        "credit", -1_500, 3_000, Decimal("0.5"))
    assert (charge.kind, charge.amount, charge.full_amount) == ("charge", 4_500, 9_000)
    assert (charge.period_start, charge.period_end) == (utc(2026, 2, 14, 12), utc(2026, 2, 28, 12))
    assert charge.old_plan_version_id == basic.current_version_id
    assert charge.new_plan_version_id == pro.current_version_id
    assert charge.invoiced_at is None and not charge.bill_immediately
    sub.refresh_from_db()
    assert sub.plan_id == pro.pk and sub.current_period_end == utc(2026, 2, 28, 12)


def test_leap_year_february_has_29_days_of_proration(basic_and_pro, make_account, operator):
    basic, pro = basic_and_pro
    with clock.frozen(utc(2028, 2, 1)):
        sub = subscription_create(account=make_account(), plan=basic)
    with clock.frozen(utc(2028, 2, 15)):  # 15 of 29 days left
        subscription_change(subscription=sub, plan=pro)
    credit, charge = proration_items_pending(subscription_id=sub.pk)
    assert credit.proration_factor == Decimal("0.5172413793")
    assert (credit.amount, charge.amount) == (-1_552, 4_655)  # 1551.72 and 4655.17 rounded half up


def test_the_preview_returns_the_same_numbers_and_writes_nothing(basic_and_pro, make_account, operator):
    basic, pro = basic_and_pro
    with clock.frozen(utc(2026, 3, 1)):
        sub = subscription_create(account=make_account(), plan=basic)
    with clock.frozen(utc(2026, 3, 16, 12)):
        preview = subscription_change_preview(subscription=sub, plan=pro, proration_behavior="always_invoice")
        assert ProrationItem.objects.count() == 0
        change = subscription_change(subscription=sub, plan=pro, proration_behavior="always_invoice")
    assert [line.amount for line in preview.proration] == [line.amount for line in change.proration]
    assert preview.amount_due_now == change.amount_due_now == -1_500 + 4_500
    assert preview.next_renewal_at == utc(2026, 4, 1) and preview.next_renewal_amount == 9_000
    assert all(item.bill_immediately for item in ProrationItem.objects.all())


def test_proration_none_switches_without_items(basic_and_pro, make_account, operator):
    basic, pro = basic_and_pro
    sub = subscription_create(account=make_account(), plan=basic)
    subscription_change(subscription=sub, plan=pro, proration_behavior="none")
    assert ProrationItem.objects.count() == 0


def test_seat_increase_prorates_only_the_added_seats(operator, make_account):
    team = plan(code="team", flat=10_000, seat=1_000, included_seats=5)
    with clock.frozen(utc(2026, 4, 1)):
        sub = subscription_create(account=make_account(), plan=team, quantity=5)
    with clock.frozen(utc(2026, 4, 16)):  # 15 of 30 days left
        subscription_change(subscription=sub, quantity=8)
    credit, charge = proration_items_pending(subscription_id=sub.pk)
    assert (credit.amount, charge.amount) == (-5_000, 6_500)  # 10,000 -> 13,000 for half the period
    assert charge.quantity == 8


def test_changing_interval_restarts_the_period_and_charges_a_full_one(operator, make_account):
    monthly = plan(code="m", flat=1_000)
    yearly = plan(code="y", flat=10_000, interval="year")
    with clock.frozen(utc(2026, 5, 1)):
        sub = subscription_create(account=make_account(), plan=monthly)
    with clock.frozen(utc(2026, 5, 16, 12)):  # half of May left
        subscription_change(subscription=sub, plan=yearly, timing="immediate")  # cheaper per year: a downgrade
    credit, charge = proration_items_pending(subscription_id=sub.pk)
    assert (credit.amount, charge.amount, charge.proration_factor) == (-500, 10_000, Decimal(1))
    sub.refresh_from_db()
    assert (sub.billing_cycle_anchor, sub.current_period_end) == (utc(2026, 5, 16, 12), utc(2027, 5, 16, 12))
