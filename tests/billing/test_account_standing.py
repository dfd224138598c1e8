"""An account's overdue state: moved through its transition table, audited, announced with the old and new
state, published to Redis for the quota checks, and the policy's final action taken on suspension."""

import jsonschema
import pytest

from billing.models import AccountStanding, AuditEntry, OutboxEvent, PlanOverduePolicy, Subscription
from billing.redis_client import client
from billing.selectors import overdue_policy_for, overdue_state
from billing.selectors.standing import standing_key
from billing.services import account_standing_change
from tests.invoicing.factories import subscription
from webhooks import catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]


def test_each_change_is_audited_and_announced_with_the_old_and_new_state(make_account,
                                                                         django_capture_on_commit_callbacks):
    account = make_account()
    with django_capture_on_commit_callbacks(execute=True):
        account_standing_change(account_id=account.pk, state="warning", days_past_due=7, reason="late")
        account_standing_change(account_id=account.pk, state="warning", days_past_due=8)  # the same state: no event
        account_standing_change(account_id=account.pk, state="restricted", days_past_due=14)
    events = list(OutboxEvent.objects.filter(type="billing.account.overdue_state_changed").order_by("id"))
    assert [(e.payload["previous_state"], e.payload["overdue_state"]) for e in events] == [
        ("good", "warning"), ("warning", "restricted")]
    schema = catalog.envelope_schema(catalog.BY_TYPE["billing.account.overdue_state_changed"])
    for event in events:
        jsonschema.validate({**catalog.envelope_example(catalog.BY_TYPE[event.type]), "data": event.payload}, schema)
    audits = AuditEntry.objects.filter(action="account.overdue_state_changed", object_id=str(
        AccountStanding.objects.get(account=account).pk)).order_by("id")
    assert [(a.before["overdue_state"], a.after["overdue_state"]) for a in audits] == [
        ("good", "warning"), ("warning", "restricted")]
    assert client().get(standing_key(account.pk)) == b"restricted"
    assert overdue_state(account.pk) == "restricted"


def test_a_missing_redis_entry_is_read_from_postgresql_and_written_back(make_account):
    account = make_account()
    account_standing_change(account_id=account.pk, state="suspended", days_past_due=30)  # not committed: not published
    client().delete(standing_key(account.pk))
    assert overdue_state(account.pk) == "suspended"
    assert client().get(standing_key(account.pk)) == b"suspended"


def test_suspension_pauses_the_subscriptions_and_good_standing_resumes_them(make_account, settings):
    settings.OVERDUE_FINAL_ACTION = "pause_subscription"
    account = make_account()
    sub = subscription(account)
    Subscription.objects.filter(pk=sub.pk).update(status="past_due")  # in dunning: paused from past_due too
    account_standing_change(account_id=account.pk, state="suspended", days_past_due=30)
    assert Subscription.objects.get(pk=sub.pk).status == "paused"
    assert AccountStanding.objects.get(account=account).paused_subscription_ids == [sub.pk]
    account_standing_change(account_id=account.pk, state="good", days_past_due=0)
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    assert AccountStanding.objects.get(account=account).paused_subscription_ids == []


def test_a_plan_policy_overrides_the_global_one_field_by_field(make_account, settings):
    settings.OVERDUE_FINAL_ACTION = "pause_subscription"
    account = make_account()
    sub = subscription(account, code="strict")
    assert overdue_policy_for(account_id=account.pk).state_for(10) == "warning"
    PlanOverduePolicy.objects.create(plan=sub.plan, restricted_days=10, final_action="cancel_subscription")
    policy = overdue_policy_for(account_id=account.pk)
    assert (policy.warning_days, policy.restricted_days, policy.suspended_days) == (7, 10, 30)
    assert [policy.state_for(d) for d in (6, 7, 10, 29, 30)] == ["good", "warning", "restricted", "restricted",
                                                                 "suspended"]
    account_standing_change(account_id=account.pk, state="suspended", days_past_due=30)
    assert Subscription.objects.get(pk=sub.pk).status == "canceled"


def test_a_plan_policy_whose_days_do_not_increase_is_refused(make_account):
    from django.core.exceptions import ValidationError

    sub = subscription(make_account(), code="odd")
    with pytest.raises(ValidationError, match="increase"):
        PlanOverduePolicy(plan=sub.plan, warning_days=20).full_clean()
