"""One `celery beat` schedules at a time: the lease in Redis (billing/beat_lock.py)."""

import threading
import time

import pytest
import redis
from django.conf import settings

from billing import beat_lock
from billing.beat_lock import KEY, BeatLease


@pytest.fixture
def client():
    connection = redis.Redis.from_url(settings.REDIS_URL)
    connection.delete(KEY)
    yield connection
    connection.delete(KEY)


def test_a_second_beat_cannot_take_the_lease_the_first_holds(client):
    first, second = BeatLease(client, ttl_seconds=30, holder="a"), BeatLease(client, ttl_seconds=30, holder="b")
    assert first.acquire()
    assert not second.acquire()
    assert not second.renew() and not second.release()  # nor extend or drop someone else's
    assert first.renew() and second.holder_now() == "a"


def test_the_standby_beat_takes_over_when_the_first_stops_renewing(client):
    first, second = BeatLease(client, ttl_seconds=0.3, holder="a"), BeatLease(client, ttl_seconds=30, holder="b")
    assert first.acquire()
    stop = threading.Event()
    took = []
    waiter = threading.Thread(target=lambda: took.append(second.wait(poll_seconds=0.05, stop=stop)))
    waiter.start()
    waiter.join(timeout=5)  # the first one never renews: its lease runs out
    stop.set()
    assert took == [True] and second.holder_now() == "b"


def test_a_beat_that_finds_its_lease_taken_stops(client, settings):
    settings.BEAT_LOCK_TTL_SECONDS = 1
    lost = threading.Event()
    lease = beat_lock.beat_lease_hold(client=client, lost=lost.set)
    assert lease.holder_now() == lease.holder
    client.set(KEY, "another beat")  # e.g. this one was paused past its lease and another took over
    assert lost.wait(timeout=5)


def test_the_held_lease_is_renewed_while_the_beat_runs(client, settings):
    settings.BEAT_LOCK_TTL_SECONDS = 1
    lost = threading.Event()
    lease = beat_lock.beat_lease_hold(client=client, lost=lost.set)
    time.sleep(1.5)  # longer than the lease: only the renewals keep it
    assert lease.holder_now() == lease.holder and not lost.is_set()
    lease.release()


def test_no_lease_is_taken_when_it_is_switched_off(client, settings):
    settings.BEAT_LOCK_TTL_SECONDS = 0
    assert beat_lock.beat_lease_hold(client=client) is None
    assert client.get(KEY) is None
