"""Every subscription transition: legal ones with their audit entry and event, illegal ones refused (409)."""

import pytest

from billing import clock
from billing.errors import InvalidTransition, ValidationFailed
from billing.models import AuditEntry, OutboxEvent, Subscription
from billing.services import (
    subscription_activate,
    subscription_cancel,
    subscription_cancel_undo,
    subscription_create,
    subscription_mark_past_due,
    subscription_pause,
    subscription_period_advance,
    subscription_resume,
    subscription_trial_end,
    subscriptions_roll,
)
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def monthly(operator):
    return plan(code="monthly", flat=2_000)


@pytest.fixture
def account(make_account):
    return make_account()


def events(sub, type_):
    return OutboxEvent.objects.filter(type=type_, payload__subscription_id=sub.pk)


def test_create_is_active_audited_and_announced(monthly, account, operator):
    sub = subscription_create(account=account, plan=monthly)
    assert sub.status == "active"
    assert events(sub, "billing.subscription.created").count() == 1
    assert AuditEntry.objects.filter(action="subscription.created", object_id=str(sub.pk)).exists()


def test_pause_and_resume(monthly, account, operator):
    sub = subscription_create(account=account, plan=monthly)
    sub = subscription_pause(subscription=sub)
    assert (sub.status, sub.bill_during_pause) == ("paused", False)
    assert events(sub, "billing.subscription.paused").count() == 1
    with pytest.raises(InvalidTransition):
        subscription_pause(subscription=sub)
    sub = subscription_resume(subscription=sub)
    assert sub.status == "active"
    assert events(sub, "billing.subscription.resumed").count() == 1
    with pytest.raises(InvalidTransition):
        subscription_resume(subscription=sub)


def test_a_paused_subscription_without_billing_rolls_its_periods_and_resumes_when_told(monthly, account, operator):
    with clock.frozen(utc(2026, 1, 10)):
        sub = subscription_create(account=account, plan=monthly)
        subscription_pause(subscription=sub, resume_at=utc(2026, 3, 20))
    with clock.frozen(utc(2026, 3, 1)):
        done = subscriptions_roll()
    sub.refresh_from_db()
    assert done["paused_periods"] == 1 and sub.current_period_end == utc(2026, 3, 10)
    with clock.frozen(utc(2026, 3, 21)):
        subscriptions_roll()
    sub.refresh_from_db()
    assert sub.status == "active" and sub.resume_at is None


def test_cancel_at_period_end_can_be_undone_then_ends_at_the_boundary(monthly, account, operator):
    with clock.frozen(utc(2026, 6, 1)):
        sub = subscription_create(account=account, plan=monthly)
        sub = subscription_cancel(subscription=sub, reason="too expensive")
        assert (sub.status, sub.cancel_at_period_end) == ("active", True)
        with pytest.raises(InvalidTransition):
            subscription_cancel(subscription=sub)
        sub = subscription_cancel_undo(subscription=sub)
        assert not sub.cancel_at_period_end
        with pytest.raises(InvalidTransition):
            subscription_cancel_undo(subscription=sub)
        subscription_cancel(subscription=sub)
    with clock.frozen(utc(2026, 7, 1)):
        assert subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 7, 1))
    sub.refresh_from_db()
    assert (sub.status, sub.ended_at) == ("canceled", utc(2026, 7, 1))
    assert events(sub, "billing.subscription.canceled").count() == 1


def test_cancel_immediately_and_nothing_after(monthly, account, operator):
    sub = subscription_create(account=account, plan=monthly)
    sub = subscription_cancel(subscription=sub, at_period_end=False)
    assert sub.status == "canceled" and sub.ended_at is not None
    for action in (lambda: subscription_cancel(subscription=sub), lambda: subscription_pause(subscription=sub),
                   lambda: subscription_resume(subscription=sub), lambda: subscription_activate(subscription=sub),
                   lambda: subscription_mark_past_due(subscription=sub)):
        with pytest.raises(InvalidTransition):
            action()


def test_cancel_immediately_with_proration_credits_unused_time(monthly, account, operator):
    with clock.frozen(utc(2026, 4, 1)):
        sub = subscription_create(account=account, plan=monthly)
    with clock.frozen(utc(2026, 4, 16)):
        subscription_cancel(subscription=sub, at_period_end=False, proration_behavior="create_prorations")
    (credit,) = sub.proration_items.all()
    assert (credit.kind, credit.amount) == ("credit", -1_000)


def test_past_due_then_paid(monthly, account, operator):
    sub = subscription_create(account=account, plan=monthly)
    sub = subscription_mark_past_due(subscription=sub)
    assert sub.status == "past_due"
    assert subscription_mark_past_due(subscription=sub).status == "past_due"  # a replay is harmless
    assert subscription_activate(subscription=sub).status == "active"


def test_incomplete_activates_on_payment_or_expires_after_23_hours(monthly, account, operator):
    with clock.frozen(utc(2026, 1, 1)):
        paid = subscription_create(account=account, plan=monthly, start_incomplete=True)
        unpaid = subscription_create(account=account, plan=monthly, start_incomplete=True)
    assert paid.status == "incomplete"
    with pytest.raises(InvalidTransition):
        subscription_pause(subscription=paid)
    assert subscription_activate(subscription=paid).status == "active"
    with clock.frozen(utc(2026, 1, 1, 23, 0, 1)):
        assert subscriptions_roll()["expired"] == 1
    unpaid.refresh_from_db()
    assert unpaid.status == "incomplete_expired"
    with pytest.raises(InvalidTransition):
        subscription_activate(subscription=unpaid)


def test_trial_will_end_fires_once_three_days_before(operator, account):
    trial = plan(code="trial", trial_days=14, trial_end_behavior="activate")
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=account, plan=trial)
    assert (sub.status, sub.trial_end, sub.current_period_end) == ("trialing", utc(2026, 1, 15), utc(2026, 1, 15))
    with clock.frozen(utc(2026, 1, 11, 23)):
        assert subscriptions_roll()["trial_will_end"] == 0
    with clock.frozen(utc(2026, 1, 12)):
        assert subscriptions_roll()["trial_will_end"] == 1
        assert subscriptions_roll()["trial_will_end"] == 0
    assert events(sub, "billing.subscription.trial_will_end").count() == 1
    with clock.frozen(utc(2026, 1, 15)):
        assert subscriptions_roll()["trials_ended"] == 1
    sub.refresh_from_db()
    assert (sub.status, sub.billing_cycle_anchor, sub.current_period_end) == (
        "active", utc(2026, 1, 15), utc(2026, 2, 15))


@pytest.mark.parametrize("behavior, outcome", [("incomplete", "incomplete"), ("cancel", "canceled"),
                                               ("activate", "active")])
def test_a_trial_without_a_payment_method_ends_as_configured(operator, account, behavior, outcome):
    trial = plan(code=f"trial-{behavior}", trial_days=7, trial_end_behavior=behavior)
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=account, plan=trial)
    with clock.frozen(utc(2026, 1, 8)):
        subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 1, 8))
    sub.refresh_from_db()
    assert sub.status == outcome


def test_ending_a_trial_early_starts_the_paid_period_now(operator, account):
    trial = plan(code="trial", trial_days=30, trial_end_behavior="activate")
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=account, plan=trial)
    with clock.frozen(utc(2026, 1, 5, 8)):
        sub = subscription_trial_end(subscription=sub)
    assert (sub.status, sub.trial_end, sub.current_period_start, sub.current_period_end) == (
        "active", utc(2026, 1, 5, 8), utc(2026, 1, 5, 8), utc(2026, 2, 5, 8))
    with pytest.raises(InvalidTransition):
        subscription_trial_end(subscription=sub)


def test_bad_quantity_and_missing_currency_name_their_field(operator, account):
    capped = plan(code="capped", max_seats=3)
    for quantity in (0, 4):
        with pytest.raises(ValidationFailed) as exc:
            subscription_create(account=account, plan=capped, quantity=quantity)
        assert "quantity" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        subscription_create(account=account, plan=capped, currency="EUR")
    assert "currency" in exc.value.fields
    assert not Subscription.objects.exists()


ACTIONS = {
    "pause": (lambda s: subscription_pause(subscription=s), "paused"),
    "resume": (lambda s: subscription_resume(subscription=s), "active"),
    "cancel_now": (lambda s: subscription_cancel(subscription=s, at_period_end=False), "canceled"),
    "mark_past_due": (lambda s: subscription_mark_past_due(subscription=s), "past_due"),
    "activate": (lambda s: subscription_activate(subscription=s), "active"),
    "end_trial": (lambda s: subscription_trial_end(subscription=s), None),
}
ALLOWED = {
    "trialing": {"pause", "cancel_now", "end_trial"},
    "active": {"pause", "cancel_now", "mark_past_due", "activate"},  # activate and past_due replays are no-ops
    "past_due": {"pause", "cancel_now", "mark_past_due", "activate"},  # paused by the overdue policy
    "paused": {"resume", "cancel_now"},
    "incomplete": {"cancel_now", "activate"},
    "canceled": set(),
    "incomplete_expired": set(),
}


@pytest.mark.parametrize("status", list(ALLOWED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_from_every_state(monthly, account, operator, status, action):
    sub = subscription_create(account=account, plan=monthly)
    Subscription.objects.filter(pk=sub.pk).update(status=status)  # arrange the starting state
    sub.refresh_from_db()
    run, target = ACTIONS[action]
    if action in ALLOWED[status]:
        result = run(sub)
        if target:
            assert result.status == target
    else:
        with pytest.raises(InvalidTransition):
            run(sub)
        sub.refresh_from_db()
        assert sub.status == status


def test_a_trial_with_a_payment_method_on_file_ends_active(operator, account):
    from payments.models import PaymentMethod

    trial = plan(code="trial-card", trial_days=7, trial_end_behavior="cancel")
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=account, plan=trial)
    PaymentMethod.objects.create(account=account, gateway="stripe", gateway_id="pm_1", type="card")
    with clock.frozen(utc(2026, 1, 8)):
        subscription_period_advance(subscription=sub, expected_period_end=utc(2026, 1, 8))
    sub.refresh_from_db()
    assert sub.status == "active"


TABLE = {
    "trialing": {"active", "incomplete", "canceled", "paused"},
    "active": {"past_due", "paused", "canceled"},
    "past_due": {"active", "canceled", "paused"},
    "paused": {"active", "trialing", "canceled"},
    "incomplete": {"active", "incomplete_expired", "canceled"},
    "canceled": set(),
    "incomplete_expired": set(),
}


def test_every_move_the_table_allows_works_and_every_other_is_refused(monthly, account, operator):
    from billing.services.subscriptions import TRANSITIONS
    from tests.helpers import moves_checked

    sub = subscription_create(account=account, plan=monthly)
    assert moves_checked(TRANSITIONS, sub, TABLE) == 49


@pytest.mark.parametrize(("start", "action", "refused"), [
    ("trialing", lambda s: subscription_activate(subscription=s), ("trialing", "active")),  # ends by its trial
    ("paused", lambda s: subscription_activate(subscription=s), ("paused", "active")),  # resumes instead
    ("paused", lambda s: subscription_trial_end(subscription=s), ("paused", "active")),
    ("trialing", lambda s: subscription_resume(subscription=s), ("trialing", "trialing")),
    ("canceled", lambda s: subscription_pause(subscription=s), ("canceled", "paused")),
    ("incomplete_expired", lambda s: subscription_cancel(subscription=s), ("incomplete_expired", "canceled")),
])
def test_the_services_refuse_through_the_table_naming_both_states(account, operator, start, action, refused):
    from billing.transitions import TransitionRefused

    trial = plan(code="trial-refused", trial_days=30, trial_end_behavior="activate")
    sub = subscription_create(account=account, plan=trial)  # in a trial that has not ended
    Subscription.objects.filter(pk=sub.pk).update(status=start)
    sub.refresh_from_db()
    with pytest.raises(TransitionRefused) as error:
        action(sub)
    assert (error.value.from_state, error.value.to_state) == refused
    assert error.value.fields == {"status": [start]}
    sub.refresh_from_db()
    assert sub.status == start


def test_a_refused_move_answers_409_naming_both_states(monthly, account, api_key_for, api_client, operator):
    sub = subscription_cancel(subscription=subscription_create(account=account, plan=monthly), at_period_end=False)
    key = api_key_for(account, scopes=("billing:read", "billing:write"))
    response = api_client.post(f"/api/v1/subscriptions/{sub.pk}/pause", {}, format="json",
                               HTTP_AUTHORIZATION=f"Bearer {key}")
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "invalid_state_transition"
    assert "canceled" in error["message"] and "paused" in error["message"]
    assert error["fields"] == {"status": ["canceled"]}
