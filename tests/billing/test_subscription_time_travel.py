"""`advance_clock` simulates months of a subscription: trial notice, trial end, renewals."""

import io

import pytest
from django.core.management import call_command

from billing import clock, tenancy
from billing.models import OutboxEvent, Subscription
from billing.services import subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _forget_the_offset():
    """The flushed clock row must not linger in this process's one-second cache."""
    yield
    clock.invalidate()


def test_a_month_in_daily_steps_ends_a_trial_after_its_notice():
    from billing.services import account_create

    with tenancy.operator_scope():
        account = account_create(name="Time traveller")
        trial = plan(code="trial", flat=0, trial_days=14, trial_end_behavior="activate")
        sub = subscription_create(account=account, plan=trial)
    out = io.StringIO()
    call_command("advance_clock", "20d", "--step", "1d", "--run-jobs", stdout=out)
    assert out.getvalue().count("billing clock now reads") == 20
    with tenancy.operator_scope():
        sub = Subscription.objects.get(pk=sub.pk)
        assert sub.status == "active" and sub.current_period_start == sub.trial_end
        assert sub.current_period_end > clock.now()
        types = list(OutboxEvent.objects.filter(payload__subscription_id=sub.pk, type__startswith="billing.subscr")
                     .order_by("id").values_list("type", flat=True))
    assert types == ["billing.subscription.created", "billing.subscription.trial_will_end",
                     "billing.subscription.updated"]


def test_month_durations_follow_the_calendar():
    from billing.management.commands.advance_clock import parse_duration

    with tenancy.operator_scope():
        assert parse_duration("1mo").days in (28, 29, 30, 31)


def test_time_travel_is_refused_where_it_is_switched_off(settings):
    from datetime import timedelta

    from django.core.management.base import CommandError

    settings.BILLING_CLOCK_TRAVEL = False
    with pytest.raises(CommandError, match="switched off"):
        call_command("advance_clock", "1d", stdout=io.StringIO())
    with tenancy.operator_scope(), pytest.raises(PermissionError):
        clock.advance(timedelta(days=1))
