"""Coupons (restrictions, limits, periods used) and the append-only credit ledger."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction

from billing import clock
from billing.errors import ValidationFailed
from billing.models import Coupon, CreditEntry, OutboxEvent
from billing.selectors import credit_balance, discounts_active
from billing.services import (
    coupon_create,
    credit_consume,
    credit_consumption_reverse,
    credit_grant,
    credits_expire,
    discount_apply,
    discount_mark_used,
    promotion_code_create,
    subscription_create,
)
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def test_a_repeating_coupon_counts_its_periods_and_ends(operator, make_account):
    pro = plan(code="pro")
    coupon_create(code="three-months", name="3 months 20% off", percent_off="20", duration="repeating",
                  duration_in_periods=3)
    sub = subscription_create(account=make_account(), plan=pro, coupon_code="three-months")
    (discount,) = discounts_active(subscription_id=sub.pk)
    for month in (1, 2, 2, 3):  # the replay for February counts once
        discount = discount_mark_used(discount=discount, period_start=utc(2026, month, 1))
    assert (discount.periods_used, discount.status) == (3, "ended")
    assert Coupon.objects.get(code="three-months").times_redeemed == 1


def test_coupon_restrictions_name_the_coupon_field(operator, make_account):
    pro, basic = plan(code="pro"), plan(code="basic")
    only_pro = coupon_create(code="pro-only", name="Pro only", percent_off=10, plans=[pro], max_redemptions=1)
    coupon_create(code="eur-off", name="5 EUR", amount_off=500, currency="EUR")
    coupon_create(code="old", name="Old", percent_off=10, redeem_by=clock.now() + timedelta(seconds=1))
    account = make_account()
    cases = [(basic, "pro-only", "does not apply"), (pro, "eur-off", "EUR"), (pro, "nope", "No such")]
    for plan_, code, message in cases:
        with pytest.raises(ValidationFailed) as exc:
            subscription_create(account=account, plan=plan_, coupon_code=code)
        assert message in exc.value.fields["coupon"][0]
    subscription_create(account=account, plan=pro, coupon_code=only_pro.code)
    with pytest.raises(ValidationFailed, match="invalid"):
        subscription_create(account=account, plan=pro, coupon_code="pro-only")
    with clock.frozen(clock.now() + timedelta(days=1)), pytest.raises(ValidationFailed):
        subscription_create(account=account, plan=pro, coupon_code="old")


def test_a_promotion_code_redeems_its_coupon(operator, make_account):
    pro = plan(code="pro")
    coupon = coupon_create(code="launch", name="Launch", percent_off=50, duration="forever")
    promotion_code_create(coupon=coupon, code="HELLO50", max_redemptions=1)
    sub = subscription_create(account=make_account(), plan=pro)
    discount = discount_apply(subscription=sub, code="hello50")
    assert discount.coupon_id == coupon.pk and discount.periods_total is None
    with pytest.raises(ValidationFailed):
        discount_apply(subscription=subscription_create(account=make_account(), plan=pro), code="HELLO50")


def test_credit_is_consumed_soonest_expiry_first_once_per_reference(operator, make_account):
    account = make_account()
    with clock.frozen(utc(2026, 1, 1)):
        lasting = credit_grant(account=account, amount=5_000, currency="USD", reason="goodwill")
        expiring = credit_grant(account=account, amount=1_000, currency="USD", reason="promo",
                                expires_at=utc(2026, 2, 1))
        assert credit_balance(account_id=account.pk) == {"USD": 6_000}
        assert credit_consume(account_id=account.pk, currency="USD", amount=1_500, reference="inv:1") == 1_500
        assert credit_consume(account_id=account.pk, currency="USD", amount=1_500, reference="inv:1") == 1_500
        assert credit_balance(account_id=account.pk) == {"USD": 4_500}
    drawn = {e.grant_id: e.amount for e in CreditEntry.objects.filter(kind="consumption")}
    assert drawn == {expiring.pk: -1_000, lasting.pk: -500}
    assert OutboxEvent.objects.filter(type="billing.credit.applied").count() == 1
    assert credit_consumption_reverse(account_id=account.pk, reference="inv:1") == 1_500
    assert credit_consumption_reverse(account_id=account.pk, reference="inv:1") == 0


def test_expired_credit_leaves_the_balance_through_an_expiry_entry(operator, make_account):
    account = make_account()
    with clock.frozen(utc(2026, 1, 1)):
        grant = credit_grant(account=account, amount=1_000, currency="EUR", reason="promo",
                             expires_at=utc(2026, 1, 31))
        credit_consume(account_id=account.pk, currency="EUR", amount=300, reference="inv:9")
    with clock.frozen(utc(2026, 2, 1)):
        assert credit_balance(account_id=account.pk) == {}
        assert credits_expire() == 1
        assert credits_expire() == 0
    expiry = CreditEntry.objects.get(kind="expiry")
    assert (expiry.grant_id, expiry.amount) == (grant.pk, -700)


def test_the_ledger_refuses_edits(operator, make_account):
    grant = credit_grant(account=make_account(), amount=100, currency="USD", reason="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CreditEntry.objects.filter(pk=grant.pk).update(amount=1_000_000)


def test_credit_grant_names_bad_fields(operator, make_account):
    with pytest.raises(ValidationFailed) as exc:
        credit_grant(account=make_account(), amount=-5, currency="dollars", reason="")
    assert set(exc.value.fields) == {"amount", "currency", "reason"}
