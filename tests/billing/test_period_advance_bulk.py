"""subscriptions_period_advance_many writes what subscription_period_advance writes, one by one."""

from datetime import timedelta

import pytest
from django.db import transaction

from billing import clock
from billing.models import AuditEntry, OutboxEvent, Subscription
from billing.services import subscription_cancel, subscription_change, subscription_create
from billing.services.lifecycle import subscription_period_advance
from billing.services.lifecycle_bulk import subscriptions_period_advance_many
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db
JAN = utc(2026, 1, 31, 12)

IGNORED = {"id", "account", "subscription_id", "account_id"}


def trail(sub):
    """The audit entries and events written for a subscription, without what differs between two of them."""
    audits = [(a.action, {k: v for k, v in (a.before or {}).items() if k not in IGNORED},
               {k: v for k, v in (a.after or {}).items() if k not in IGNORED})
              for a in AuditEntry.objects.filter(object_type="billing.subscription", object_id=str(sub.pk))
              .order_by("id")]
    events = [(e.type, {k: v for k, v in e.payload.items() if k not in IGNORED})
              for e in OutboxEvent.objects.filter(payload__subscription_id=sub.pk).order_by("id")]
    return audits, events


@pytest.fixture
def pairs(operator, make_account):
    pro = plan(code="pro", flat=1_000)
    bigger = plan(code="bigger", flat=5_000)
    with clock.frozen(JAN):
        plain = [subscription_create(account=make_account(), plan=pro, quantity=2) for _ in range(2)]
        canceling = [subscription_create(account=make_account(), plan=pro) for _ in range(2)]
        for s in canceling:
            subscription_cancel(subscription=s, at_period_end=True)
        trialing = [subscription_create(account=make_account(), plan=pro, trial_days=14) for _ in range(2)]
        changing = [subscription_create(account=make_account(), plan=bigger) for _ in range(2)]
        for s in changing:
            subscription_change(subscription=s, plan=pro, timing="period_end")
    return [plain, canceling, trialing, changing]


def test_each_case_ends_as_the_single_service_leaves_it(pairs):
    singles, bulk = [p[0] for p in pairs], [p[1] for p in pairs]
    ends = {s.pk: Subscription.objects.get(pk=s.pk).current_period_end for s in singles + bulk}
    with clock.frozen(max(ends.values()) + timedelta(minutes=1)), transaction.atomic():
        done_single = [subscription_period_advance(subscription=s, expected_period_end=ends[s.pk]) for s in singles]
        done_bulk = subscriptions_period_advance_many(expected_period_ends={s.pk: ends[s.pk] for s in bulk})
    assert done_single == [done_bulk[s.pk] for s in bulk] == [True] * 4
    fields = ["status", "current_period_start", "current_period_end", "plan_id", "plan_version_id", "quantity",
              "cancel_at_period_end", "ended_at", "billing_cycle_anchor"]
    for one, other in zip(singles, bulk, strict=True):
        one, other = Subscription.objects.get(pk=one.pk), Subscription.objects.get(pk=other.pk)
        assert [getattr(one, f) for f in fields] == [getattr(other, f) for f in fields]
        assert trail(one) == trail(other)


def test_a_period_that_already_moved_is_left_alone(pairs):
    sub = pairs[0][1]
    end = Subscription.objects.get(pk=sub.pk).current_period_end
    with clock.frozen(end + timedelta(minutes=1)), transaction.atomic():
        assert subscriptions_period_advance_many(expected_period_ends={sub.pk: end}) == {sub.pk: True}
        assert subscriptions_period_advance_many(expected_period_ends={sub.pk: end}) == {sub.pk: False}
    assert Subscription.objects.get(pk=sub.pk).current_period_start == end

