"""A customer cannot restart a limited discount by redeeming its promotion code again on the same subscription."""

import pytest

from billing.errors import ValidationFailed
from billing.models import SubscriptionDiscount
from billing.selectors import discounts_active
from billing.services import (
    coupon_create,
    discount_apply,
    discount_mark_used,
    promotion_code_create,
    subscription_create,
)
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def test_a_promotion_code_is_not_redeemed_twice_on_one_subscription_by_a_customer(operator, make_account):
    basic = plan(code="basic")
    coupon = coupon_create(code="three-months", name="3 months", percent_off=50, duration="repeating",
                           duration_in_periods=3)
    promotion_code_create(coupon=coupon, code="HALF3")
    sub = subscription_create(account=make_account(), plan=basic, coupon_code="HALF3", promotion_code_only=True)
    (discount,) = discounts_active(subscription_id=sub.pk)
    discount = discount_mark_used(discount=discount, period_start=utc(2026, 1, 1))
    discount = discount_mark_used(discount=discount, period_start=utc(2026, 2, 1))
    with pytest.raises(ValidationFailed) as exc:
        discount_apply(subscription=sub, code="HALF3", promotion_code_only=True)
    assert "coupon" in exc.value.fields
    assert discounts_active(subscription_id=sub.pk).get().periods_used == 2  # the running discount is untouched
    other = subscription_create(account=make_account(), plan=basic)
    discount_apply(subscription=other, code="HALF3", promotion_code_only=True)  # another subscription may
    discount_apply(subscription=sub, code="three-months")  # finance may restart it
    assert SubscriptionDiscount.objects.filter(subscription=sub).count() == 2
