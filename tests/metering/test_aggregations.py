"""Each aggregation against quantities computed by hand, through billable_usage (the invoicing contract)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing import clock, tenancy
from billing.errors import ValidationFailed
from metering.ingest.decode import EventIn
from metering.selectors import billable_usage
from metering.services import usage_events_record

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)


def at(day, hour=0):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def send(account, metric, *events):
    """events: (timestamp, value, properties)"""
    with clock.frozen(NOW), tenancy.operator_scope():
        result = usage_events_record(events=[
            EventIn(metric=metric, idempotency_key=f"{metric}-{i}-{ts.isoformat()}", timestamp=ts,
                    value=None if value is None else Decimal(str(value)), properties=props or {},
                    account_id=account.pk)
            for i, (ts, value, props) in enumerate(events)
        ])
    assert not result.rejected, result.rejected
    return result


def usage(account, codes, start=START, end=END):
    with tenancy.operator_scope():
        return billable_usage(account_id=account.pk, metric_codes=codes, period_start=start, period_end=end)


@pytest.fixture
def account(make_account):
    return make_account()


def test_count_counts_events_in_the_period_only(account, make_metric):
    make_metric("calls")
    send(account, "calls", (at(1), None, None), (at(15), None, None), (at(31, 23), None, None),
         (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), None, None))
    assert usage(account, ["calls"]) == {("calls", ""): Decimal(3)}


def test_sum_adds_values_and_a_property(account, make_metric):
    make_metric("transfer_gb", aggregation="sum")
    make_metric("tokens", aggregation="sum", field_name="tokens")
    send(account, "transfer_gb", (at(2), "1.25", None), (at(3), "2.5", None), (at(4), "0.000001", None))
    send(account, "tokens", (at(2), None, {"tokens": 1200}), (at(3), None, {"tokens": "300"}))
    assert usage(account, ["transfer_gb", "tokens"]) == {
        ("transfer_gb", ""): Decimal("3.750001"), ("tokens", ""): Decimal(1500)}


def test_max_takes_the_largest_value(account, make_metric):
    make_metric("peak", aggregation="max")
    send(account, "peak", (at(2), 7, None), (at(3), "12.5", None), (at(4), 3, None))
    assert usage(account, ["peak"]) == {("peak", ""): Decimal("12.5")}


def test_unique_count_counts_distinct_property_values(account, make_metric):
    make_metric("seats", aggregation="unique_count", field_name="user_id")
    send(account, "seats", (at(2), None, {"user_id": "u1"}), (at(3), None, {"user_id": "u2"}),
         (at(4), None, {"user_id": "u1"}), (at(5), None, {"user_id": "u3"}))
    assert usage(account, ["seats"]) == {("seats", ""): Decimal(3)}


def test_latest_takes_the_value_with_the_latest_timestamp_not_the_last_received(account, make_metric):
    make_metric("seat_count", aggregation="latest")
    send(account, "seat_count", (at(20), 9, None), (at(10), 4, None))
    send(account, "seat_count", (at(5), 30, None))
    assert usage(account, ["seat_count"]) == {("seat_count", ""): Decimal(9)}


def test_weighted_sum_weights_each_level_by_the_time_it_was_held(account, make_metric):
    make_metric("storage_gb", aggregation="weighted_sum")
    # 31-day period. Level 10 carried in from February (held days 1-11 = 10 days),
    # 40 from day 11 (held 20 days, until day 31), then 0 for the last day.
    send(account, "storage_gb", (datetime(2026, 2, 25, tzinfo=UTC), 10, None), (at(11), 40, None), (at(31), 0, None))
    expected = (Decimal(10) * 10 + Decimal(40) * 20 + Decimal(0) * 1) / 31
    result = usage(account, ["storage_gb"])[("storage_gb", "")]
    assert abs(result - expected) < Decimal("1e-11")


def test_weighted_sum_of_a_half_period_counts_half(account, make_metric):
    make_metric("storage_gb", aggregation="weighted_sum")
    send(account, "storage_gb", (datetime(2026, 3, 16, 12, tzinfo=UTC), 10, None))
    assert usage(account, ["storage_gb"]) == {("storage_gb", ""): Decimal(5)}


def test_filters_keep_only_matching_events(account, make_metric):
    make_metric("eu_calls", filters={"region": ["eu", "uk"]})
    send(account, "eu_calls", (at(2), None, {"region": "eu"}), (at(3), None, {"region": "us"}),
         (at(4), None, {"region": "uk"}), (at(5), None, {}))
    assert usage(account, ["eu_calls"]) == {("eu_calls", ""): Decimal(2)}


def test_group_by_gives_one_quantity_per_group_with_a_stable_key(account, make_metric):
    make_metric("llm_tokens", aggregation="sum", field_name="tokens", group_by=["model", "region"])
    send(account, "llm_tokens",
         (at(2), None, {"tokens": 100, "model": "gpt-4", "region": "eu"}),
         (at(3), None, {"tokens": 50, "model": "gpt-4", "region": "eu"}),
         (at(4), None, {"tokens": 7, "model": "small", "region": "us"}),
         (at(5), None, {"tokens": 1, "model": "small"}))
    assert usage(account, ["llm_tokens"]) == {
        ("llm_tokens", "model=gpt-4|region=eu"): Decimal(150),
        ("llm_tokens", "model=small|region="): Decimal(1),
        ("llm_tokens", "model=small|region=us"): Decimal(7),
    }


def test_every_requested_metric_appears_with_zero_when_unused(account, make_metric):
    make_metric("calls")
    make_metric("llm_tokens", aggregation="sum", group_by=["model"])
    assert usage(account, ["calls", "llm_tokens"]) == {("calls", ""): Decimal(0), ("llm_tokens", ""): Decimal(0)}


def test_usage_of_another_account_is_never_counted(account, make_account, make_metric):
    make_metric("calls")
    other = make_account()
    send(other, "calls", (at(2), None, None))
    assert usage(account, ["calls"]) == {("calls", ""): Decimal(0)}


def test_an_unknown_metric_code_names_the_field(account):
    with pytest.raises(ValidationFailed) as error:
        usage(account, ["nope"])
    assert "metric_codes" in error.value.fields
