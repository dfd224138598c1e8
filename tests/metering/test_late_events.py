"""Late events: kept and counted in their period for the next invoice (or rejected by configuration); the
acceptance window."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from billing import clock
from metering.ingest.decode import EventIn
from metering.selectors import billable_usage
from metering.services import usage_events_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
MARCH, APRIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def send(account, metric, key, ts, value=None, now=datetime(2026, 4, 3, tzinfo=UTC)):
    with clock.frozen(now):
        return usage_events_record(events=[EventIn(metric=metric, idempotency_key=key, timestamp=ts,
                                                   value=value, account_id=account.pk)])


def test_a_late_event_is_kept_and_counted_when_its_invoiced_period_is_read_again(make_account, make_metric):
    # The invoice side bills late usage as the difference between this re-read and what it invoiced
    # (tests/invoicing/test_late_usage_read.py).
    make_metric("calls")
    make_metric("peak", aggregation="max")
    account = make_account()
    send(account, "calls", "on-time", datetime(2026, 3, 30, tzinfo=UTC))
    send(account, "peak", "on-time-peak", datetime(2026, 3, 30, tzinfo=UTC), Decimal(5))
    invoiced = billable_usage(account_id=account.pk, metric_codes=["calls"], period_start=MARCH, period_end=APRIL)
    assert invoiced == {("calls", ""): Decimal(1)}
    # Two March events arrive after the bill run, plus an April one that is not late.
    send(account, "calls", "late-1", datetime(2026, 3, 31, 10, tzinfo=UTC))
    send(account, "calls", "late-2", datetime(2026, 3, 31, 11, tzinfo=UTC))
    send(account, "calls", "april", datetime(2026, 4, 2, tzinfo=UTC))
    send(account, "peak", "late-peak", datetime(2026, 3, 31, tzinfo=UTC), Decimal(9))
    now = billable_usage(account_id=account.pk, metric_codes=["calls", "peak"], period_start=MARCH, period_end=APRIL)
    assert now == {("calls", ""): Decimal(3), ("peak", ""): Decimal(9)}


@override_settings(METERING_LATE_EVENTS="reject")
def test_late_events_can_be_rejected_by_configuration(make_metric, subscribe):
    make_metric("calls")
    with clock.frozen(datetime(2026, 4, 1, tzinfo=UTC)):
        account = subscribe(limits=[{"metric": "calls", "included": 100}])
    result = send(account, "calls", "late", datetime(2026, 3, 31, tzinfo=UTC))
    assert result.accepted == 0
    assert result.rejected[0].field == "timestamp" and "invoiced" in result.rejected[0].reason
    assert send(account, "calls", "current", datetime(2026, 4, 2, tzinfo=UTC)).accepted == 1


@override_settings(METERING_ACCEPTANCE_WINDOW_DAYS=10)
def test_the_acceptance_window_is_configurable(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    now = datetime(2026, 4, 20, tzinfo=UTC)
    assert send(account, "calls", "in", now - timedelta(days=9, hours=23), now=now).accepted == 1
    rejected = send(account, "calls", "out", now - timedelta(days=10, minutes=1), now=now).rejected
    assert "10 days" in rejected[0].reason
