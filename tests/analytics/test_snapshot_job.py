"""The snapshot job: the same rows when run twice, no day that has not come, and the backfill of past days
(rebuilt from the subscriptions' dates, leaving days already taken alone)."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from analytics.models import MrrMonth, MrrSnapshot, SnapshotDay
from analytics.services import mrr_snapshot_take, mrr_snapshots_backfill
from billing import clock
from billing.errors import ValidationFailed
from billing.services import subscription_create
from billing.services.subscriptions import subscription_cancel
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db

FIELDS = ("day", "subscription_id", "account_id", "plan_id", "currency", "status", "quantity", "mrr")


def rows():
    return sorted(MrrSnapshot.objects.values_list(*FIELDS))


def test_taking_the_same_day_twice_gives_the_same_rows(book, operator):
    with clock.frozen(datetime(2027, 3, 31, 18, tzinfo=UTC)):
        before, months = rows(), sorted(MrrMonth.objects.values_list("month", "currency", "mrr", "new", "churned"))
        mrr_snapshot_take()
        mrr_snapshot_take()
    assert rows() == before
    assert sorted(MrrMonth.objects.values_list("month", "currency", "mrr", "new", "churned")) == months
    assert SnapshotDay.objects.get(day=date(2027, 3, 31)).subscriptions == 11


def test_a_day_that_has_not_come_is_refused_by_name(operator):
    with clock.frozen(datetime(2027, 3, 31, 18, tzinfo=UTC)), pytest.raises(ValidationFailed) as refused:
        mrr_snapshot_take(day=date(2027, 4, 1))
    assert "day" in refused.value.fields


@pytest.fixture
def history(operator, make_account):
    """Three subscriptions with dates in the past: a monthly one since 1 March, a trial from 10 March to
    20 March (then paying), and one that ended on 15 March."""
    monthly = plan("monthly", flat=3_000, trial_end_behavior="activate")
    with clock.frozen(datetime(2027, 3, 1, 9, tzinfo=UTC)):
        steady = subscription_create(account=make_account(), plan=monthly)
    with clock.frozen(datetime(2027, 3, 10, 9, tzinfo=UTC)):
        trial = subscription_create(account=make_account(), plan=monthly, trial_days=10)
        leaving = subscription_create(account=make_account(), plan=monthly)
    with clock.frozen(datetime(2027, 3, 15, 9, tzinfo=UTC)):
        subscription_cancel(subscription=leaving, at_period_end=False)
    from billing.models import Subscription

    Subscription.objects.filter(pk=trial.pk).update(status="active")  # its trial ended on the 20th
    return steady, trial, leaving


def test_backfill_rebuilds_past_days_from_the_subscriptions_dates(history):
    steady, trial, leaving = history
    with clock.frozen(datetime(2027, 4, 2, 9, tzinfo=UTC)):
        taken = mrr_snapshots_backfill(first=date(2027, 3, 1), last=date(2027, 3, 31))
    assert len(taken) == 31

    def on(day):
        return {sub: (status, mrr) for sub, status, mrr in MrrSnapshot.objects.filter(day=day).values_list(
            "subscription_id", "status", "mrr")}

    assert on(date(2027, 3, 5)) == {steady.pk: ("active", 3_000)}
    assert on(date(2027, 3, 12)) == {steady.pk: ("active", 3_000), trial.pk: ("trialing", 0),
                                     leaving.pk: ("active", 3_000)}
    assert on(date(2027, 3, 15)) == {steady.pk: ("active", 3_000), trial.pk: ("trialing", 0),
                                     leaving.pk: ("canceled", 0)}
    assert on(date(2027, 3, 31)) == {steady.pk: ("active", 3_000), trial.pk: ("active", 3_000)}
    assert SnapshotDay.objects.filter(source="backfill").count() == 31
    march = MrrMonth.objects.get(month=date(2027, 3, 1), currency="USD")
    assert (march.mrr, march.new, march.churned) == (6_000, 6_000, 0)  # no month before: all new
    assert (march.trials_ended, march.trials_converted) == (1, 1)


def test_backfill_leaves_days_already_taken_alone_unless_asked(history):
    steady, _, _ = history
    with clock.frozen(datetime(2027, 3, 5, 9, tzinfo=UTC)):
        mrr_snapshot_take()  # live
    MrrSnapshot.objects.filter(day=date(2027, 3, 5)).update(mrr=1)  # marks the live rows
    with clock.frozen(datetime(2027, 3, 8, 9, tzinfo=UTC)):
        out = StringIO()
        call_command("analytics_backfill", "--from", "2027-03-04", "--to", "2027-03-06", stdout=out)
        assert "2 day(s) taken" in out.getvalue()
        assert MrrSnapshot.objects.get(day=date(2027, 3, 5)).mrr == 1
        call_command("analytics_backfill", "--from", "2027-03-04", "--to", "2027-03-06", "--replace",
                     stdout=StringIO())
    assert MrrSnapshot.objects.get(day=date(2027, 3, 5)).mrr == 3_000
    assert not MrrSnapshot.objects.filter(day__lt=date(2027, 3, 1)).exists()


def test_the_command_refuses_a_range_backwards(operator):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="from"):
        call_command("analytics_backfill", "--from", "2027-03-06", "--to", "2027-03-04", stdout=StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("analytics_backfill", "--from", "March", "--to", "2027-03-04", stdout=StringIO())


def test_the_beat_job_takes_today(operator, make_account):
    from analytics.tasks import mrr_snapshot

    subscription_create(account=make_account(), plan=plan("solo", flat=900))
    mrr_snapshot.apply()
    today = clock.now().date()
    assert MrrSnapshot.objects.filter(day=today).values_list("mrr", flat=True).get() == 900
    assert today - timedelta(days=1) not in set(SnapshotDay.objects.values_list("day", flat=True))
