"""The rollup job: hourly and daily buckets, incremental, safe to run twice, merged with unfolded events."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from billing import clock, tenancy
from metering.ingest.decode import EventIn
from metering.models import UsageRollup
from metering.selectors import usage_series
from metering.services import usage_events_record, usage_rollups_advance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def send(account, metric, *events, prefix="k"):
    with clock.frozen(NOW):
        usage_events_record(events=[
            EventIn(metric=metric, idempotency_key=f"{prefix}{i}", timestamp=ts,
                    value=None if value is None else Decimal(str(value)), properties=props or {},
                    account_id=account.pk)
            for i, (ts, value, props) in enumerate(events)])


def buckets(account, metric, granularity):
    return {(r.bucket_start, r.group_key): (r.events, r.value_sum, r.value_max, r.latest_value)
            for r in UsageRollup.objects.filter(account=account, metric=metric, granularity=granularity)}


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_events_fold_into_hour_and_day_buckets(make_account, make_metric):
    account = make_account()
    metric = make_metric("transfer_gb", aggregation="sum", group_by=["region"])
    send(account, "transfer_gb",
         (datetime(2026, 3, 9, 10, 5, tzinfo=UTC), 2, {"region": "eu"}),
         (datetime(2026, 3, 9, 10, 55, tzinfo=UTC), "3.5", {"region": "eu"}),
         (datetime(2026, 3, 9, 11, 0, tzinfo=UTC), 1, {"region": "eu"}),
         (datetime(2026, 3, 9, 11, 30, tzinfo=UTC), 7, {"region": "us"}))
    usage_rollups_advance()
    hour = lambda h: datetime(2026, 3, 9, h, tzinfo=UTC)  # noqa: E731
    assert buckets(account, metric, "hour") == {
        (hour(10), "region=eu"): (2, Decimal("5.5"), Decimal("3.5"), Decimal("3.5")),
        (hour(11), "region=eu"): (1, Decimal(1), Decimal(1), Decimal(1)),
        (hour(11), "region=us"): (1, Decimal(7), Decimal(7), Decimal(7)),
    }
    assert buckets(account, metric, "day") == {
        (hour(0), "region=eu"): (3, Decimal("6.5"), Decimal("3.5"), Decimal(1)),
        (hour(0), "region=us"): (1, Decimal(7), Decimal(7), Decimal(7)),
    }


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_running_twice_or_again_later_adds_each_event_once(make_account, make_metric):
    account = make_account()
    metric = make_metric("calls")
    at = datetime(2026, 3, 9, 10, tzinfo=UTC)
    send(account, "calls", (at, None, None), (at, None, None), prefix="a")
    usage_rollups_advance()
    usage_rollups_advance()
    send(account, "calls", (at, None, None), prefix="b")
    send(account, "calls", (at, None, None), prefix="a")  # a duplicate: never stored, never folded
    usage_rollups_advance()
    usage_rollups_advance()
    assert buckets(account, metric, "hour")[(at, "")][0] == 3
    assert buckets(account, metric, "day")[(datetime(2026, 3, 9, tzinfo=UTC), "")][0] == 3


def test_the_series_includes_events_not_yet_folded(make_account, make_metric):
    account = make_account()
    metric = make_metric("calls")
    at = datetime(2026, 3, 9, 10, 30, tzinfo=UTC)
    with override_settings(METERING_ROLLUP_LAG_SECONDS=0):
        send(account, "calls", (at, None, None), prefix="folded")
        usage_rollups_advance()
    send(account, "calls", (at, None, None), (datetime(2026, 3, 9, 12, tzinfo=UTC), None, None), prefix="fresh")
    with tenancy.tenant_scope(account.pk):
        series = usage_series(account_id=account.pk, metric=metric, start=datetime(2026, 3, 9, tzinfo=UTC),
                              end=datetime(2026, 3, 10, tzinfo=UTC), granularity="hour")
    assert [(b.start.hour, b.value) for b in series] == [(10, 2), (12, 1)]


def test_a_fold_between_the_cursor_and_the_rollups_is_not_counted_twice(make_account, make_metric, monkeypatch):
    from metering.selectors import series

    account = make_account()
    metric = make_metric("calls")
    at = datetime(2026, 3, 9, 10, 30, tzinfo=UTC)
    with override_settings(METERING_ROLLUP_LAG_SECONDS=0):
        send(account, "calls", (at, None, None), prefix="w")
        usage_rollups_advance()
        before_fold = series._folded_through()
        send(account, "calls", (at, None, None), prefix="x")
        usage_rollups_advance()
    assert before_fold is not None and series._folded_through() > before_fold
    real = series._folded_through
    # The series reads the cursor as it was before the fold, then the rollups the fold just wrote:
    # the cursor has moved when it is read again, so the series reads once more.
    reads = iter([before_fold])
    monkeypatch.setattr(series, "_folded_through", lambda: next(reads, None) or real())
    with tenancy.tenant_scope(account.pk):
        result = usage_series(account_id=account.pk, metric=metric, start=datetime(2026, 3, 9, tzinfo=UTC),
                              end=datetime(2026, 3, 10, tzinfo=UTC), granularity="hour")
    assert [(b.start.hour, b.value) for b in result] == [(10, 2)]


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_a_very_long_group_value_is_folded_as_its_own_group_and_stops_nothing(make_account, make_metric):
    account = make_account()
    metric = make_metric("tokens", aggregation="sum", field_name="tokens", group_by=["model"])
    at = datetime(2026, 3, 9, 10, tzinfo=UTC)
    long_a, long_b = "a" * 300, "a" * 299 + "b"  # alike for their first 255 characters
    send(account, "tokens", (at, None, {"model": long_a, "tokens": 5}), (at, None, {"model": long_b, "tokens": 7}),
         (at, None, {"model": "small", "tokens": 1}))
    usage_rollups_advance()
    folded = buckets(account, metric, "hour")
    assert sorted(value_sum for _, value_sum, _, _ in folded.values()) == [1, 5, 7]
    assert all(len(group_key) <= 255 for _, group_key in folded)
    assert (at, "model=small") in folded
    with tenancy.tenant_scope(account.pk):
        series = usage_series(account_id=account.pk, metric=metric, start=datetime(2026, 3, 9, tzinfo=UTC),
                              end=datetime(2026, 3, 10, tzinfo=UTC), granularity="hour")
    assert sorted(b.value for b in series) == [1, 5, 7]


def test_a_unique_count_series_is_computed_per_bucket(make_account, make_metric):
    account = make_account()
    metric = make_metric("seats", aggregation="unique_count", field_name="user")
    send(account, "seats", (datetime(2026, 3, 8, 1, tzinfo=UTC), None, {"user": "a"}),
         (datetime(2026, 3, 8, 2, tzinfo=UTC), None, {"user": "a"}),
         (datetime(2026, 3, 9, 1, tzinfo=UTC), None, {"user": "a"}),
         (datetime(2026, 3, 9, 2, tzinfo=UTC), None, {"user": "b"}))
    series = usage_series(account_id=account.pk, metric=metric, start=datetime(2026, 3, 8, tzinfo=UTC),
                          end=datetime(2026, 3, 10, tzinfo=UTC), granularity="day")
    assert [(b.start.day, b.value) for b in series] == [(8, 1), (9, 2)]


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_a_run_killed_halfway_leaves_nothing_and_the_next_run_folds_once(make_account, make_metric, monkeypatch):
    from metering.models import RollupCursor
    from metering.services import rollups

    account = make_account()
    make_metric("calls")
    second = make_metric("more_calls")
    at = datetime(2026, 3, 9, 10, tzinfo=UTC)
    send(account, "calls", (at, None, None), prefix="a")
    send(account, "more_calls", (at, None, None), prefix="b")
    usage_rollups_advance()  # creates the cursor
    send(account, "calls", (at, None, None), prefix="c")
    send(account, "more_calls", (at, None, None), prefix="d")
    cursor_before = RollupCursor.objects.get().processed_through
    real_fold = rollups._fold

    def dying_fold(metric, *args):
        if metric.pk == second.pk:
            raise SystemExit("worker killed")
        return real_fold(metric, *args)

    monkeypatch.setattr(rollups, "_fold", dying_fold)
    with pytest.raises(SystemExit):
        usage_rollups_advance()
    assert RollupCursor.objects.get().processed_through == cursor_before
    assert UsageRollup.objects.get(account=account, metric__code="calls", granularity="hour").events == 1
    monkeypatch.setattr(rollups, "_fold", real_fold)
    usage_rollups_advance()
    assert UsageRollup.objects.get(account=account, metric__code="calls", granularity="hour").events == 2
    assert UsageRollup.objects.get(account=account, metric=second, granularity="hour").events == 2
