"""billable_usage_many gives each account exactly what billable_usage gives it, for every aggregation."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing import clock, tenancy
from billing.errors import ValidationFailed
from metering.ingest.decode import EventIn
from metering.selectors import billable_usage
from metering.selectors_bulk import billable_usage_many
from metering.services import usage_events_record

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def at(day, hour=0):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def send(account, metric, *events):
    with clock.frozen(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)), tenancy.operator_scope():
        result = usage_events_record(events=[
            EventIn(metric=metric, idempotency_key=f"{metric}-{account.pk}-{i}", timestamp=ts,
                    value=None if value is None else Decimal(str(value)), properties=props or {},
                    account_id=account.pk)
            for i, (ts, value, props) in enumerate(events)
        ])
    assert not result.rejected, result.rejected


@pytest.fixture
def metrics(make_metric):
    make_metric("calls")
    make_metric("tokens", "sum", group_by=["model"], filters={"region": ["eu", "us"]})
    make_metric("peak", "max")
    make_metric("last", "latest")
    make_metric("users", "unique_count", field_name="user")
    make_metric("storage", "weighted_sum")
    return ["calls", "tokens", "peak", "last", "users", "storage"]


def test_each_account_gets_what_the_single_selector_gives(metrics, make_account):
    busy, quiet, other = make_account(), make_account(), make_account()
    send(busy, "calls", (at(1), None, None), (at(20), None, None), (datetime(2026, 2, 28, tzinfo=UTC), None, None))
    send(busy, "tokens", (at(2), 100, {"model": "a", "region": "eu"}), (at(3), 50, {"model": "b", "region": "us"}),
         (at(4), 7, {"model": "a", "region": "asia"}), (at(5), "2.5", {"region": "eu"}))
    send(busy, "peak", (at(2), 3, None), (at(9), "12.5", None))
    send(busy, "last", (at(2), 3, None), (at(9), 4, None))
    send(busy, "users", (at(2), None, {"user": "x"}), (at(3), None, {"user": "y"}), (at(4), None, {"user": "x"}))
    send(busy, "storage", (at(1), 10, None), (at(16), 20, None))
    send(other, "calls", (at(3), None, None))
    send(other, "storage", (at(10), 5, None))
    accounts = [busy.pk, quiet.pk, other.pk]
    with tenancy.operator_scope():
        for codes in (metrics, ["tokens", "calls"], None):
            many = billable_usage_many(account_ids=accounts, metric_codes=codes, period_start=START, period_end=END)
            assert set(many) == set(accounts)
            for account_id in accounts:
                single = billable_usage(account_id=account_id, metric_codes=codes, period_start=START, period_end=END)
                assert list(many[account_id].items()) == list(single.items())  # same keys, values and order
    assert many[busy.pk][("tokens", "model=a")] == 100
    assert many[quiet.pk][("calls", "")] == 0


def test_bad_arguments_fail_as_the_single_selector_does(metrics, make_account):
    account = make_account()
    with tenancy.operator_scope():
        with pytest.raises(ValidationFailed):
            billable_usage_many(account_ids=[account.pk], metric_codes=["nope"], period_start=START, period_end=END)
        with pytest.raises(ValidationFailed):
            billable_usage_many(account_ids=[account.pk], metric_codes=None, period_start=END, period_end=START)
        assert billable_usage_many(account_ids=[], metric_codes=None, period_start=START, period_end=END) == {}
