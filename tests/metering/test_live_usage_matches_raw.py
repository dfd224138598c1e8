"""Usage read from rollups plus the raw tail is exactly usage summed from raw events.

Random events (late ones into buckets already folded, duplicates resent, corrections, ties on the
timestamp, a tail not folded yet) for a metric of every aggregation, read over random periods
whose bounds fall anywhere inside a minute: `usage_groups` must equal `aggregate` every time, and
must have answered from the rollups (not by falling back to raw events) for periods of a day or more.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import clock
from metering.aggregation import aggregate
from metering.ingest.decode import EventIn
from metering.selectors import live
from metering.services import usage_events_record, usage_rollups_advance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
NOW = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)
WINDOW = timedelta(days=3)
METRICS = {
    "calls": {"aggregation": "count", "group_by": ["region"]},
    "tokens": {"aggregation": "sum", "field_name": "tokens", "group_by": ["region"]},
    "transfer": {"aggregation": "sum", "group_by": ["region"]},  # the value: corrections may be negative
    "peak": {"aggregation": "max"},
    "seats_reported": {"aggregation": "latest", "group_by": ["region"]},
    "users": {"aggregation": "unique_count", "field_name": "user", "group_by": ["region"]},
    "storage": {"aggregation": "weighted_sum", "group_by": ["region"]},
}
# A few instants many events share (ties on the timestamp), and instants anywhere in the window.
SHARED = [NOW - timedelta(days=2, hours=1, seconds=7), NOW - timedelta(hours=5, microseconds=3),
          NOW - timedelta(minutes=1), NOW - timedelta(days=1)]
instants = st.one_of(st.sampled_from(SHARED),
                     st.integers(0, int(WINDOW.total_seconds() * 1_000_000)).map(
                         lambda us: NOW - WINDOW + timedelta(microseconds=us)))
values = st.one_of(st.integers(0, 5), st.decimals(min_value=0, max_value=10**13, places=12, allow_nan=False,
                                                   allow_infinity=False))
# One event: (instant, value, region, user, resend an earlier key instead). Every batch holds events
# of every metric, so that each example has folded events, late events and a tail for each.
events = st.tuples(instants, values, st.sampled_from(["eu", "us"]), st.sampled_from(["ann", "bob", "cy", "dee"]),
                   st.booleans())
batch = st.fixed_dictionaries({code: st.lists(events, min_size=1, max_size=5) for code in sorted(METRICS)})
periods = st.tuples(st.integers(0, int(WINDOW.total_seconds() * 1_000_000)),
                    st.integers(60_000_000 * 2, int((WINDOW + timedelta(days=1)).total_seconds() * 1_000_000)))


def event(metric, at, value, region, user, key):
    kind = METRICS[metric]["aggregation"]
    properties = {"region": region, "user": user}
    if metric == "tokens":
        properties["tokens"] = int(value)
    amount = None if kind in ("count", "unique_count") or metric == "tokens" else Decimal(value)
    return EventIn(metric=metric, idempotency_key=key, timestamp=at, value=amount, properties=properties,
                   account_id=None)


def send(account, batch):
    for item in batch:
        item.account_id = account.pk
    with clock.frozen(NOW):
        result = usage_events_record(events=batch)
    assert not result.rejected, result.rejected


@pytest.fixture
def metrics(make_metric):
    return {code: make_metric(code, **definition) for code, definition in METRICS.items()}


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(batches=st.lists(batch, min_size=2, max_size=4), folds=st.lists(st.booleans(),
       min_size=4, max_size=4), corrections=st.lists(st.tuples(instants, st.integers(1, 50), st.sampled_from(
           ["eu", "us"])), max_size=3), reads=st.lists(periods, min_size=1, max_size=3))
def test_usage_from_rollups_and_tail_equals_usage_from_raw_events(make_account, metrics, monkeypatch, batches,
                                                                     folds, corrections, reads):
    account = make_account()
    sent = []
    for number, batch in enumerate(batches):
        items = []
        for metric, metric_events in batch.items():
            for index, (at, value, region, user, resend) in enumerate(metric_events):
                if resend and sent:  # a duplicate: the same key again, never counted twice
                    items.append(event(*sent[index % len(sent)]))
                    continue
                args = (metric, at, value, region, user, f"b{number}-{metric}-{index}")
                sent.append(args)
                items.append(event(*args))
        if number == len(batches) - 1:
            items += [EventIn(metric="transfer", idempotency_key=f"fix-{i}", timestamp=at, value=Decimal(-amount),
                              properties={"region": region}, account_id=None)
                      for i, (at, amount, region) in enumerate(corrections)]
        send(account, items)
        if number == 0 or folds[number] and number < len(batches) - 1:  # the last batch stays raw: the tail
            usage_rollups_advance()
    fallbacks = []
    monkeypatch.setattr(live, "aggregate", lambda *a, **k: fallbacks.append(k) or aggregate(*a, **k))
    for offset, length in reads:
        start = NOW - WINDOW - timedelta(hours=6) + timedelta(microseconds=offset)
        end = start + timedelta(microseconds=length)
        for code, metric in metrics.items():
            fallbacks.clear()
            expected = aggregate(metric, account_id=account.pk, start=start, end=end)
            assert live.usage_groups(metric, account_id=account.pk, start=start, end=end) == expected, code
            if end - start >= timedelta(days=1):
                assert not fallbacks, f"{code}: read raw events instead of rollups"


@override_settings(METERING_ROLLUP_LAG_SECONDS=0)
def test_a_reading_not_folded_yet_inside_a_folded_bucket_splits_its_span(make_account, metrics):
    account = make_account()
    send(account, [event("storage", NOW - timedelta(days=1, hours=3), 1, "eu", "ann", "a"),
                   event("storage", NOW - timedelta(days=1, hours=1), 3, "eu", "ann", "b")])
    usage_rollups_advance()
    send(account, [event("storage", NOW - timedelta(days=1, hours=2), 5, "eu", "ann", "c")])  # the tail
    start, end = NOW - timedelta(days=2, minutes=30, seconds=7), NOW
    expected = aggregate(metrics["storage"], account_id=account.pk, start=start, end=end)
    assert live.usage_groups(metrics["storage"], account_id=account.pk, start=start, end=end) == expected
    # 1 held 1 h, then 5 held 1 h, then 3 held 25 h, over 2 days 30 min 7 s
    assert expected == {"region=eu": (Decimal(3600 + 5 * 3600 + 3 * 25 * 3600) / Decimal(174607)).quantize(
        Decimal("1e-12"))}
