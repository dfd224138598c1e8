"""A coupon restricted to plans stops discounting once the subscription moves to a plan it does not cover."""

import pytest

from billing import clock
from billing.models import AuditEntry, DiscountStatus, SubscriptionDiscount
from billing.selectors import discounts_active
from billing.services import coupon_create, subscription_change, subscription_create
from billing.services.lifecycle import subscription_period_advance
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def test_an_immediate_change_to_another_plan_ends_a_discount_restricted_to_the_old_one(operator, make_account):
    basic, pro = plan(code="basic", flat=1_000), plan(code="pro", flat=5_000)
    coupon_create(code="basic-only", name="Basic half off", percent_off=50, plans=[basic], duration="forever")
    with clock.frozen(utc(2026, 1, 10)):
        sub = subscription_create(account=make_account(), plan=basic, coupon_code="basic-only")
        subscription_change(subscription=sub, plan=pro, timing="immediate")
    assert not discounts_active(subscription_id=sub.pk).exists()
    ended = SubscriptionDiscount.objects.get(subscription=sub)
    assert (ended.status, ended.ended_at) == (DiscountStatus.ENDED, utc(2026, 1, 10))
    assert AuditEntry.objects.filter(action="subscription.discount_ended", object_id=str(ended.pk)).exists()


def test_a_scheduled_change_ends_the_restricted_discount_when_it_applies(operator, make_account):
    basic, pro = plan(code="basic", flat=5_000), plan(code="cheap", flat=1_000)
    coupon_create(code="basic-only", name="Basic half off", percent_off=50, plans=[basic], duration="forever")
    with clock.frozen(utc(2026, 1, 10)):
        sub = subscription_create(account=make_account(), plan=basic, coupon_code="basic-only")
        subscription_change(subscription=sub, plan=pro, timing="period_end")
    assert discounts_active(subscription_id=sub.pk).exists()  # still on basic until the boundary
    with clock.frozen(utc(2026, 2, 10)):
        assert subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 2, 10))
    assert not discounts_active(subscription_id=sub.pk).exists()


def test_a_discount_for_both_plans_or_unrestricted_stays(operator, make_account):
    basic, pro, team = plan(code="basic", flat=1_000), plan(code="pro", flat=5_000), plan(code="team", flat=9_000)
    coupon_create(code="both", name="Both", percent_off=10, plans=[basic, pro], duration="forever")
    coupon_create(code="any", name="Any", percent_off=10, duration="forever")
    with clock.frozen(utc(2026, 1, 10)):
        a = subscription_create(account=make_account(), plan=basic, coupon_code="both")
        subscription_change(subscription=a, plan=pro, timing="immediate")
        b = subscription_create(account=make_account(), plan=basic, coupon_code="any")
        subscription_change(subscription=b, plan=team, timing="immediate")
    assert discounts_active(subscription_id=a.pk).exists() and discounts_active(subscription_id=b.pk).exists()
