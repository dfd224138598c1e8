"""A trial paused and resumed before it ends is still a trial: its end is still the trial's end, not a renewal."""

import pytest

from billing import clock
from billing.models import OutboxEvent
from billing.services import (
    subscription_create,
    subscription_pause,
    subscription_resume,
    subscriptions_roll,
)
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def test_resuming_a_paused_trial_before_its_end_goes_back_to_trialing(operator, make_account):
    trial = plan(code="trial", flat=2_000, trial_days=14, trial_end_behavior="cancel")
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=make_account(), plan=trial)
        sub = subscription_pause(subscription=sub)
    with clock.frozen(utc(2026, 1, 5)):
        sub = subscription_resume(subscription=sub)
    assert (sub.status, sub.trial_end, sub.current_period_end) == ("trialing", utc(2026, 1, 15), utc(2026, 1, 15))
    with clock.frozen(utc(2026, 1, 15, 0, 0, 1)):
        subscriptions_roll()
    sub.refresh_from_db()
    assert sub.status == "canceled"  # the trial ended as configured, without a card
    assert OutboxEvent.objects.filter(type="billing.subscription.canceled", payload__reason="trial_ended",
                                      payload__subscription_id=sub.pk).exists()


def test_a_trial_that_ran_out_during_the_pause_resumes_active(operator, make_account):
    trial = plan(code="trial", flat=2_000, trial_days=14)
    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription_create(account=make_account(), plan=trial)
        sub = subscription_pause(subscription=sub)
    with clock.frozen(utc(2026, 1, 20)):
        subscriptions_roll()
        sub = subscription_resume(subscription=sub)
    assert sub.status == "active"
