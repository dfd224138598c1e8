"""Downgrades wait for the period end; price changes create versions that existing subscribers keep."""

import pytest

from billing import clock
from billing.errors import InvalidTransition
from billing.models import PlanVersion, ScheduledChange
from billing.selectors import plan_terms_for
from billing.services import (
    plan_pricing_change,
    subscription_change,
    subscription_create,
    subscription_period_advance,
    subscription_scheduled_change_cancel,
    subscription_version_migrate,
)
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def test_a_downgrade_is_scheduled_for_period_end_and_applied_at_renewal(operator, make_account):
    basic, pro = plan(code="basic", flat=3_000), plan(code="pro", flat=9_000)
    with clock.frozen(utc(2026, 1, 31)):
        sub = subscription_create(account=make_account(), plan=pro, quantity=3)
    with clock.frozen(utc(2026, 2, 10)):
        change = subscription_change(subscription=sub, plan=basic)
    assert (change.timing, change.effective_at) == ("period_end", utc(2026, 2, 28))
    sub.refresh_from_db()
    assert sub.plan_id == pro.pk and not sub.proration_items.exists()
    with clock.frozen(utc(2026, 2, 28)):
        subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 2, 28))
    sub.refresh_from_db()
    assert (sub.plan_id, sub.quantity, sub.current_period_end) == (basic.pk, 3, utc(2026, 3, 31))
    assert ScheduledChange.objects.get().status == "applied"


def test_a_scheduled_change_can_be_canceled_and_a_new_change_replaces_it(operator, make_account):
    basic, pro = plan(code="basic", flat=3_000), plan(code="pro", flat=9_000)
    sub = subscription_create(account=make_account(), plan=pro)
    subscription_change(subscription=sub, plan=basic)
    subscription_change(subscription=sub, quantity=1, plan=basic, timing="period_end")
    assert ScheduledChange.objects.filter(status="pending").count() == 1
    subscription_scheduled_change_cancel(subscription=sub)
    assert not ScheduledChange.objects.filter(status="pending").exists()
    with pytest.raises(InvalidTransition):
        subscription_scheduled_change_cancel(subscription=sub)


def test_a_plan_timing_can_make_downgrades_immediate(operator, make_account):
    basic = plan(code="basic", flat=3_000, downgrade_timing="immediate")
    pro = plan(code="pro", flat=9_000)
    sub = subscription_create(account=make_account(), plan=pro)
    assert subscription_change(subscription=sub, plan=basic).timing == "immediate"


def test_changing_a_price_with_subscribers_creates_a_version_and_keeps_theirs(operator, make_account):
    pro = plan(code="pro", flat=9_000)
    old_sub = subscription_create(account=make_account(), plan=pro)
    version = plan_pricing_change(plan=pro, prices={"USD": {"flat_amount": 12_000}, "EUR": {"flat_amount": 11_000}})
    pro.refresh_from_db()
    assert version.version == 2 and pro.current_version_id == version.pk
    new_sub = subscription_create(account=make_account(), plan=pro)
    assert plan_terms_for(old_sub).flat_amount == 9_000
    assert plan_terms_for(new_sub).flat_amount == 12_000
    eur_sub = subscription_create(account=make_account(), plan=pro, currency="EUR")
    assert plan_terms_for(eur_sub).flat_amount == 11_000


def test_without_subscribers_the_version_is_edited_in_place(operator):
    pro = plan(code="pro", flat=9_000)
    version = plan_pricing_change(plan=pro, prices={"USD": {"flat_amount": 9_500}})
    assert version.version == 1 and PlanVersion.objects.filter(plan=pro).count() == 1


def test_finance_migrates_a_grandfathered_subscription_at_its_period_end(operator, make_account):
    pro = plan(code="pro", flat=9_000)
    with clock.frozen(utc(2026, 5, 1)):
        sub = subscription_create(account=make_account(), plan=pro)
        plan_pricing_change(plan=pro, prices={"USD": {"flat_amount": 12_000}})
        subscription_version_migrate(subscription=sub)
    assert plan_terms_for(sub).flat_amount == 9_000
    with clock.frozen(utc(2026, 6, 1)):
        subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 6, 1))
    sub.refresh_from_db()
    assert plan_terms_for(sub).flat_amount == 12_000
