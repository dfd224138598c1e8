"""The index reads find the raw tail with stays summarized, so a read visits only the blocks that hold
events received after the rollup cursor (migration metering 0013)."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from billing import clock
from metering.ingest.decode import EventIn
from metering.services import usage_events_record
from metering.services.rollups import usage_rollups_advance, usage_tail_summarize

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def events(account, prefix: str, count: int, day: int) -> list[EventIn]:
    return [EventIn(metric="calls", idempotency_key=f"{prefix}{i}", timestamp=datetime(2026, 3, day, 10, tzinfo=UTC),
                    value=None, properties={"padding": "x" * 200}, account_id=account.pk) for i in range(count)]


def test_new_block_ranges_are_summarized_by_the_rollup_job_and_only_once(make_account, make_metric):
    account = make_account()
    make_metric("calls")
    with clock.frozen(NOW):
        # An empty partition's first range is summarized when its index is made; these fill several more.
        usage_events_record(events=events(account, "a", 3000, 7))
        assert usage_tail_summarize() >= 1  # the new ranges, the last (partial) one included
        assert usage_tail_summarize() == 0  # nothing new
        usage_events_record(events=events(account, "b", 3000, 6))  # late events, in an older partition
        usage_rollups_advance()  # the job summarizes after folding
        assert usage_tail_summarize() == 0
        # Today's partition takes the live traffic: its full ranges are summarized, its last (partial) one
        # is not, so that an insert into it does not rewrite a summary.
        usage_events_record(events=events(account, "c", 3000, 10))
        assert usage_tail_summarize() >= 1
        assert usage_tail_summarize() == 0


def test_each_partition_has_fine_ranges(make_account, make_metric):
    account = make_account()
    make_metric("calls")
    with clock.frozen(NOW):
        usage_events_record(events=[EventIn(metric="calls", idempotency_key="a", timestamp=NOW, value=None,
                                            properties={}, account_id=account.pk)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = 'metering_usageevent_received_brin'::regclass")
        options = [row[0] for row in cursor.fetchall()]
    assert options and all(opts == ["pages_per_range=16"] for opts in options)
