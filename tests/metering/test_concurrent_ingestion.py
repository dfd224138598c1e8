"""Concurrent duplicates in separate requests count once; a failed batch can be resent safely."""

import threading

import pytest
from django.db import connection

from billing import tenancy
from metering.ingest import writer
from metering.ingest.decode import EventIn
from metering.selectors import stored_event_count
from metering.services import usage_events_record


def _run_in_threads(target, count):
    barrier = threading.Barrier(count)
    results = []

    def run(i):
        try:
            barrier.wait()
            with tenancy.operator_scope():
                results.append(target(i))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_with_the_same_keys_count_each_event_once(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    events = [EventIn(metric="calls", idempotency_key=f"k{i}", account_id=account.pk) for i in range(200)]

    def send(i):
        # Each thread sends the same 200 keys in a different order.
        ordered = events[i * 37 % 200:] + events[:i * 37 % 200]
        return usage_events_record(events=ordered).accepted

    accepted = _run_in_threads(send, 6)
    assert sum(accepted) == 200
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 200


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_failed_halfway_leaves_nothing_and_can_be_resent(make_account, make_metric, monkeypatch):
    make_metric("calls")
    account = make_account()
    events = [EventIn(metric="calls", idempotency_key=f"k{i}", account_id=account.pk) for i in range(50)]
    original = writer._MOVE
    # A statement that claims the keys and then fails, as a crash after the keys were written would.
    monkeypatch.setattr(writer, "_MOVE", original.replace("WHERE f.account_id IS NULL", "WHERE 1/0 = 1"))
    with tenancy.operator_scope(), pytest.raises(Exception, match="division by zero"):
        usage_events_record(events=events)
    monkeypatch.setattr(writer, "_MOVE", original)
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 0
        assert usage_events_record(events=events).accepted == 50
        assert usage_events_record(events=events).accepted == 0
        assert stored_event_count(account_id=account.pk) == 50
