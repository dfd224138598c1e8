"""Concurrent duplicates in separate requests count once; a failed batch can be resent safely."""

import threading
import time

import pytest
from django.db import connection, transaction

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
    # A statement that claims the keys and then fails writing the events, as a crash would.
    for name in ("MOVE_ALL", "MOVE_PLAIN", "MOVE_ON_CONFLICT"):
        broken = getattr(writer, name).replace("::jsonb", "::jsonb || jsonb_build_array(1/0)")
        assert broken != getattr(writer, name)
        monkeypatch.setattr(writer, name, broken)
    with tenancy.operator_scope(), pytest.raises(Exception, match="division by zero"):
        usage_events_record(events=events)
    monkeypatch.undo()
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 0
        assert usage_events_record(events=events).accepted == 50
        assert usage_events_record(events=events).accepted == 0
        assert stored_event_count(account_id=account.pk) == 50


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_key_claimed_by_a_concurrent_request_meanwhile_is_acknowledged_as_a_duplicate(
        make_account, make_metric, record_moves):
    """The second request holds a stored key (k0), so its first claim fails and the probing claim
    runs. That probe cannot see k1, inserted but not committed by a concurrent request: its INSERT
    waits, fails on k1 once the other request commits, and the batch is written again with ON CONFLICT."""
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        usage_events_record(events=[EventIn(metric="calls", idempotency_key="k0", account_id=account.pk)])
    del record_moves[:]
    first_claimed, first_may_commit = threading.Event(), threading.Event()

    def first():
        try:
            with tenancy.operator_scope(), transaction.atomic():
                result = usage_events_record(events=[EventIn(metric="calls", idempotency_key="k1", account_id=account.pk)])
                first_claimed.set()
                assert first_may_commit.wait(30)
            return result
        finally:
            connection.close()

    thread_result = []
    thread = threading.Thread(target=lambda: thread_result.append(first()))
    thread.start()
    assert first_claimed.wait(30)
    second_events = [EventIn(metric="calls", idempotency_key=f"k{i}", account_id=account.pk) for i in range(3)]
    releaser = threading.Thread(target=_commit_first_when_blocked, args=(first_may_commit,))
    releaser.start()
    with tenancy.operator_scope():
        second = usage_events_record(events=second_events)
    thread.join()
    releaser.join()
    assert thread_result[0].accepted == 1
    assert (second.accepted, second.duplicates) == (1, [0, 1])
    assert record_moves == [writer.MOVE_ALL, writer.MOVE_ALL, writer.MOVE_PLAIN, writer.MOVE_ON_CONFLICT]
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 3


def _commit_first_when_blocked(first_may_commit: threading.Event) -> None:
    """Let the first request commit once the second waits on its key (or after 10 s regardless)."""
    try:
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        first_may_commit.set()
        connection.close()
