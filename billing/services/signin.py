"""Sign-in throttling for the console and the admin: escalating delays, never a lock-out.

Failures are counted for two keys at once: the (username, address) pair and the address
alone. Past SIGNIN_FAILURE_LIMIT failures of a pair, the next attempt of that pair must
wait 2 s after the last failure, then 4 s, 8 s, ... up to SIGNIN_MAX_DELAY_SECONDS;
past SIGNIN_ADDRESS_FAILURE_LIMIT failures from an address, across usernames, the same
for every attempt from that address (password spraying). A waiting attempt is refused
without its password being checked, so waiting costs a guesser time and nothing else.
Failures from other addresses never delay a username, so no one can lock finance out
from outside. A success forgets its pair's failures; failures are forgotten
SIGNIN_FAILURE_WINDOW_SECONDS after the last one.

Each attempt is counted as a failure when it starts (undone if it succeeds), under a row
lock: a burst of parallel guesses gets one past the check, not all of them.

The counters live in PostgreSQL (`SignInThrottle`), not Redis: signing in needs the
database anyway, so they add no way to fail, they work with Redis down, and no cache
eviction or restart forgets them. Sign-ins are rare; a few small writes each cost little
next to the password hash.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from billing import clock, conf
from billing.models import SignInThrottle
from billing.transitions import row_lock


class SignInThrottled(Exception):
    def __init__(self, wait_seconds: int):
        super().__init__(f"sign-in refused for {wait_seconds} s")
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class SignInAttempt:
    pair_key: str
    address_key: str
    at: datetime
    address_failure_before: datetime | None


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _keys(username: str, address: str | None) -> tuple[str, str]:
    address = address or "-"
    return _key("pair", username.strip().casefold(), address), _key("address", address)


def _live_failures(row: SignInThrottle, now: datetime) -> int:
    window = timedelta(seconds=conf.settings.SIGNIN_FAILURE_WINDOW_SECONDS)
    if row.last_failure_at is None or row.last_failure_at <= now - window:
        return 0
    return row.failures


def _wait_seconds(row: SignInThrottle, limit: int, now: datetime) -> int:
    """How long the next attempt counted on this row must still wait."""
    failures = _live_failures(row, now)
    if failures < limit:
        return 0
    delay = min(2 ** min(failures - limit + 1, 32), conf.settings.SIGNIN_MAX_DELAY_SECONDS)
    return max(0, math.ceil((row.last_failure_at + timedelta(seconds=delay) - now).total_seconds()))


def signin_attempt_begin(*, username: str, address: str | None) -> SignInAttempt:
    """Let one attempt through, counted as a failure until it succeeds; raise SignInThrottled
    with the seconds to wait when the pair or the address must wait first."""
    pair_key, address_key = _keys(username, address)
    now = clock.now()
    with transaction.atomic():
        SignInThrottle.objects.bulk_create(
            [SignInThrottle(key=pair_key), SignInThrottle(key=address_key)], ignore_conflicts=True)
        # Both rows locked in one statement, in key order: two attempts never wait on each other crosswise.
        rows = {row.key: row for row in SignInThrottle.objects.select_for_update().filter(
            key__in=[pair_key, address_key]).order_by("key")}
        pair, from_address = rows[pair_key], rows[address_key]
        wait = max(_wait_seconds(pair, conf.settings.SIGNIN_FAILURE_LIMIT, now),
                   _wait_seconds(from_address, conf.settings.SIGNIN_ADDRESS_FAILURE_LIMIT, now))
        if wait:
            raise SignInThrottled(wait)
        address_failure_before = from_address.last_failure_at
        for row in (pair, from_address):
            row.failures = _live_failures(row, now) + 1
            row.last_failure_at = now
            row.save(update_fields=["failures", "last_failure_at"])
    return SignInAttempt(pair_key, address_key, now, address_failure_before)


def signin_attempt_succeed(*, attempt: SignInAttempt) -> None:
    """The attempt signed in: its pair starts afresh, and it no longer counts against its address."""
    with transaction.atomic():
        SignInThrottle.objects.filter(key=attempt.pair_key).delete()
        row = row_lock(SignInThrottle, key=attempt.address_key, required=False)
        if row is None:
            return
        row.failures = max(0, row.failures - 1)
        if row.last_failure_at == attempt.at:  # no other attempt since: the address's timer as it was
            row.last_failure_at = attempt.address_failure_before
        if row.failures == 0 and row.last_failure_at is None:
            row.delete()
        else:
            row.save(update_fields=["failures", "last_failure_at"])


def signin_throttles_prune() -> int:
    """Forget counters whose last failure is older than the window (a beat job)."""
    cutoff = clock.now() - timedelta(seconds=conf.settings.SIGNIN_FAILURE_WINDOW_SECONDS)
    with transaction.atomic():
        deleted, _ = SignInThrottle.objects.filter(last_failure_at__lt=cutoff).delete()
    return deleted
