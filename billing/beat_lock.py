"""One beat at a time: the `celery beat` that schedules holds a lease in Redis; another one waits.

Two beats would send every periodic job twice. That is safe (every job is idempotent and takes its own
lock where it matters) but doubles the work, and during a rolling update or after a network split two
beats can run side by side for a long time. So a beat takes the lease before it schedules anything
(`beat_init`), renews it every third of `BEAT_LOCK_TTL_SECONDS`, and stops at once if it finds the lease
taken by another (it was paused longer than the lease). A second beat waits in standby and takes over
within one lease time of the first one dying (docs/scaling.md, "One beat").
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import threading
import time
import uuid

import redis
from celery.signals import beat_init
from django.conf import settings

from billing import conf

logger = logging.getLogger(__name__)
KEY = "billing:beat-lease"
# Renew or release only a lease this beat still holds (compare and act in one step, inside Redis).
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BeatLease:
    def __init__(self, client: redis.Redis, *, ttl_seconds: float, holder: str | None = None):
        self.client = client
        self.ttl_ms = int(ttl_seconds * 1000)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        return bool(self.client.set(KEY, self.holder, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, KEY, self.holder, self.ttl_ms))

    def release(self) -> bool:
        return bool(self.client.eval(_RELEASE, 1, KEY, self.holder))

    def holder_now(self) -> str | None:
        value = self.client.get(KEY)
        return value.decode() if isinstance(value, bytes) else value

    def wait(self, *, poll_seconds: float, stop: threading.Event | None = None) -> bool:
        """Block until this process holds the lease (True), or `stop` is set (False)."""
        announced = False
        while not (stop and stop.is_set()):
            try:
                if self.acquire():
                    return True
                if not announced:
                    logger.warning("another beat holds the lease (%s): this one waits in standby", self.holder_now())
                    announced = True
            except redis.RedisError as exc:  # Redis away: keep waiting, never schedule without the lease
                logger.warning("beat lease: Redis unreachable (%s); retrying", exc)
            time.sleep(poll_seconds)
        return False


def _keep(lease: BeatLease, every: float, lost) -> None:
    while True:
        time.sleep(every)
        try:
            held = lease.renew()
        except redis.RedisError as exc:
            logger.warning("beat lease: could not renew (%s); retrying", exc)
            continue
        if not held:
            lost()
            return


def _stop_scheduling() -> None:
    logger.critical("beat lease lost to another beat: stopping this one so that jobs are not sent twice")
    os._exit(1)  # noqa: SLF001  (the beat's loop cannot be interrupted from this thread otherwise)


def beat_lease_hold(*, client: redis.Redis | None = None, lost=_stop_scheduling) -> BeatLease | None:
    """Wait for the lease, then keep it renewed in a daemon thread. None when the lock is switched off."""
    ttl = conf.settings.BEAT_LOCK_TTL_SECONDS
    if ttl == 0:
        return None
    lease = BeatLease(client or redis.Redis.from_url(settings.REDIS_URL), ttl_seconds=ttl)
    lease.wait(poll_seconds=max(1.0, ttl / 6))
    logger.info("beat lease taken by %s", lease.holder)
    atexit.register(_release_quietly, lease)  # a beat stopped on purpose hands over at once
    threading.Thread(target=_keep, args=(lease, ttl / 3, lost), name="beat-lease", daemon=True).start()
    return lease


def _release_quietly(lease: BeatLease) -> None:
    with contextlib.suppress(redis.RedisError):  # if Redis is away, the lease runs out by itself
        lease.release()


@beat_init.connect
def _on_beat_init(sender=None, **kwargs) -> None:
    beat_lease_hold()
