"""The rollup job after an outage: it folds the backlog in steps, resumes where a stopped run left
off, counts each event once, and never passes a transaction that is still open."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from billing import clock
from metering.aggregation import aggregate
from metering.ingest.decode import EventIn
from metering.models import RollupCursor, UsageRollup
from metering.selectors import usage_groups
from metering.services import rollups, usage_events_record, usage_rollups_advance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def send(account, metric, key, value=None):
    with clock.frozen(NOW):
        result = usage_events_record(events=[EventIn(
            metric=metric, idempotency_key=key, timestamp=NOW - timedelta(hours=1), account_id=account.pk,
            value=None if value is None else Decimal(value))])
    assert result.stored


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_a_backlog_is_folded_in_steps_and_a_stopped_run_resumes_counting_each_event_once(
        make_account, make_metric, monkeypatch):
    account = make_account()
    calls = make_metric("calls")
    gb = make_metric("gb", aggregation="sum")
    usage_rollups_advance()  # the cursor starts here; then the job stops (an outage)
    for i in range(12):  # each event is received by its own statement, so at its own time
        send(account, "calls", f"c{i}")
        send(account, "gb", f"g{i}", value="1.5")
    received = sorted(_received_times(account))
    behind = RollupCursor.objects.get().processed_through
    monkeypatch.setattr(rollups, "STEP", (received[-1] - behind) / 5)  # several steps to catch up
    usage_rollups_advance(max_steps=3)  # stopped after three steps
    folded = RollupCursor.objects.get().processed_through
    assert received[0] < folded < received[-1]
    partial = UsageRollup.objects.get(account=account, metric=calls, granularity="day").events
    assert 0 < partial < 12
    usage_rollups_advance()
    usage_rollups_advance()  # run again: nothing new
    assert UsageRollup.objects.get(account=account, metric=calls, granularity="day").events == 12
    assert UsageRollup.objects.get(account=account, metric=gb, granularity="hour").value_sum == Decimal(18)
    for metric in (calls, gb):
        start, end = NOW - timedelta(days=3, seconds=1), NOW + timedelta(days=1, seconds=7)
        assert usage_groups(metric, account_id=account.pk, start=start, end=end) == aggregate(
            metric, account_id=account.pk, start=start, end=end)


def _received_times(account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT received_at FROM metering_usageevent WHERE account_id = %s", [account.pk])
        return [row[0] for row in cursor.fetchall()]


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_the_fold_never_passes_the_start_of_a_transaction_still_open(make_account, make_metric):
    """An event is received at its statement's time but seen only once its transaction commits: the
    cursor must not pass a transaction that might still commit events received before it."""
    make_metric("calls")
    usage_rollups_advance()
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, dbname=settings["NAME"],
                         user=settings["USER"], password=settings["PASSWORD"]) as other:
        started = other.execute("SELECT now()").fetchone()[0]  # a transaction, open from here
        usage_rollups_advance()
        assert RollupCursor.objects.get().processed_through < started
        other.rollback()
    usage_rollups_advance()
    assert RollupCursor.objects.get().processed_through > started


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_a_metric_whose_grouping_changed_is_read_raw_until_the_job_folds_it_again(make_account, make_metric):
    from metering.services.metrics import billable_metric_update

    account = make_account()
    metric = make_metric("calls", group_by=["region"])
    for i, region in enumerate(["eu", "eu", "us"]):
        with clock.frozen(NOW):
            usage_events_record(events=[EventIn(metric="calls", idempotency_key=f"k{i}", timestamp=NOW,
                                                properties={"region": region, "model": "m"}, account_id=account.pk)])
    usage_rollups_advance()
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    assert usage_groups(metric, account_id=account.pk, start=start, end=end) == {"region=eu": 2, "region=us": 1}
    metric = billable_metric_update(metric=metric, group_by=["model"])
    assert usage_groups(metric, account_id=account.pk, start=start, end=end) == {"model=m": 3}  # raw
    usage_rollups_advance()
    assert set(UsageRollup.objects.filter(metric=metric).values_list("group_key", flat=True)) == {"model=m"}
    assert usage_groups(metric, account_id=account.pk, start=start, end=end) == {"model=m": 3}
