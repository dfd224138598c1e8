"""The contracts metering and invoicing code against: entitlements_for and plan_terms_for."""

from decimal import Decimal

import pytest

from billing import clock
from billing.selectors import (
    ChargeTerms,
    Entitlement,
    PlanTerms,
    entitlements_for,
    plan_terms_for,
)
from billing.services import subscription_cancel, subscription_create, subscription_overrides_set
from pricing import Tier
from tests.billing.catalog_factories import metric, plan, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(operator):
    metric("api_calls")
    metric("storage_gb")
    return plan(
        code="pro", flat=9_900, seat=500, included_seats=25,
        charges=[{"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.001",
                  "free_units": 100_000},
                 {"metric": "storage_gb", "currency": "USD", "model": "graduated",
                  "tiers": [{"up_to": 100, "unit_price": "0.50"}, {"up_to": None, "unit_price": "0.25",
                                                                    "flat_fee": 100}]}],
        limits=[{"metric": "api_calls", "included": 100_000, "cap_mode": "soft"},
                {"metric": "storage_gb", "included": 100, "cap_mode": "hard", "overage_allowed": False,
                 "grace_percent": 10, "alert_thresholds": [50, 90]}],
    )


def test_entitlements_list_each_limited_metric_with_its_charge_and_current_period(pro, make_account, operator):
    account = make_account()
    with clock.frozen(utc(2026, 1, 31, 12)):
        sub = subscription_create(account=account, plan=pro, quantity=30)
        result = entitlements_for(account_id=account.pk)
    by_metric = {e.metric_code: e for e in result}
    assert set(by_metric) == {"api_calls", "storage_gb"}
    api = by_metric["api_calls"]
    assert isinstance(api, Entitlement)
    assert (api.included, api.cap_mode, api.overage_allowed, api.alert_thresholds) == (100_000, "soft", True,
                                                                                       (80, 100, 120))
    assert (api.period_start, api.period_end) == (utc(2026, 1, 31, 12), utc(2026, 2, 28, 12))
    assert api.subscription_id == sub.pk
    assert api.charge == ChargeTerms(metric_code="api_calls", model="standard", currency="USD",
                                     unit_price=Decimal("0.001"), free_units=100_000)
    storage = by_metric["storage_gb"]
    assert (storage.cap_mode, storage.overage_allowed, storage.grace_percent, storage.alert_thresholds) == (
        "hard", False, 10, (50, 90))
    # pricing's Tier: the flat fee the catalog stores as 100 minor units, in major units ($1.00).
    assert storage.charge.tiers == (Tier(100, Decimal("0.50"), 0), Tier(None, Decimal("0.25"), Decimal("1.00")))


def test_entitlements_leave_out_canceled_subscriptions_and_other_accounts(pro, make_account, operator):
    mine, other = make_account(), make_account()
    sub = subscription_create(account=mine, plan=pro)
    subscription_create(account=other, plan=pro)
    assert {e.subscription_id for e in entitlements_for(account_id=mine.pk)} == {sub.pk}
    subscription_cancel(subscription=sub, at_period_end=False)
    assert entitlements_for(account_id=mine.pk) == []


def test_a_charge_without_a_limit_is_an_unlimited_entitlement(operator, make_account):
    metric("tokens")
    payg = plan(code="payg", flat=0, charges=[{"metric": "tokens", "currency": "USD", "unit_price": "0.000002"}])
    account = make_account()
    subscription_create(account=account, plan=payg)
    (entitlement,) = entitlements_for(account_id=account.pk)
    assert (entitlement.metric_code, entitlement.included, entitlement.overage_allowed) == ("tokens", -1, True)
    assert entitlement.charge.unit_price == Decimal("0.000002")


def test_plan_terms_apply_subscription_overrides(pro, make_account, operator):
    account = make_account()
    sub = subscription_create(account=account, plan=pro, quantity=30)
    terms = plan_terms_for(sub)
    assert isinstance(terms, PlanTerms)
    assert (terms.flat_amount, terms.seat_amount, terms.included_seats, terms.quantity) == (9_900, 500, 25, 30)
    assert terms.recurring_amount == 9_900 + 5 * 500
    assert (terms.currency, terms.interval, terms.interval_count) == ("USD", "month", 1)
    sub = subscription_overrides_set(subscription=sub, flat_amount=50_000, included_seats=-1, metrics=[
        {"metric": "api_calls", "unit_price": "0.0005", "included": 1_000_000},
        {"metric": "storage_gb", "tiers": [{"up_to": None, "unit_price": "0.10"}]},
    ])
    terms = plan_terms_for(sub)
    assert (terms.flat_amount, terms.included_seats, terms.recurring_amount) == (50_000, -1, 50_000)
    assert terms.charge_for("api_calls").unit_price == Decimal("0.0005")
    assert terms.charge_for("api_calls").free_units == 100_000  # not overridden: the plan's
    assert terms.charge_for("storage_gb").tiers == (Tier(None, Decimal("0.10"), 0),)
    api = next(e for e in entitlements_for(account_id=account.pk) if e.metric_code == "api_calls")
    assert api.included == 1_000_000


def test_between_period_end_and_renewal_entitlements_show_the_period_at_that_moment(pro, make_account, operator):
    account = make_account()
    with clock.frozen(utc(2026, 1, 31, 12)):
        subscription_create(account=account, plan=pro)
    # The bill run has not advanced the subscription yet: the period 28 Feb - 31 Mar is reported.
    (api, *_) = entitlements_for(account_id=account.pk, at=utc(2026, 3, 1))
    assert (api.period_start, api.period_end) == (utc(2026, 2, 28, 12), utc(2026, 3, 31, 12))
