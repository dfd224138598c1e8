"""Domain time: `clock.now()` is what every billing decision uses instead of timezone.now().

The operator can move it forward for demos and tests (`manage.py advance_clock 30d`),
which shifts every period, trial, due date and job that reads the clock. The offset
lives in the database (`SimulatedClock`, one row) so web, workers and beat agree;
processes re-read it at most once a second. Tests may also pin time in-process with
`clock.frozen(datetime)`.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("billing_frozen_clock", default=None)
_cache: dict = {"offset": timedelta(0), "read_at": 0.0}
REFRESH_SECONDS = 1.0


def _offset() -> timedelta:
    if time.monotonic() - _cache["read_at"] > REFRESH_SECONDS:
        from billing.models import SimulatedClock

        row = SimulatedClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
        _cache["offset"] = timedelta(seconds=row or 0)
        _cache["read_at"] = time.monotonic()
    return _cache["offset"]


def now() -> datetime:
    pinned = _frozen.get()
    if pinned is not None:
        return pinned
    return timezone.now() + _offset()


def invalidate() -> None:
    _cache["read_at"] = 0.0


@contextmanager
def frozen(at: datetime):
    """Pin `now()` for the current thread/task (tests)."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)


def advance(delta: timedelta) -> datetime:
    """Move the shared simulated clock forward (never back: posted history stays in order)."""
    from django.db import transaction

    from billing import conf
    from billing.audit import audit_record
    from billing.models import SimulatedClock

    if not conf.settings.BILLING_CLOCK_TRAVEL:
        raise PermissionError("time travel is switched off here (BILLING_CLOCK_TRAVEL=false, the production default)")
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
    with transaction.atomic():
        row, _ = SimulatedClock.objects.select_for_update().get_or_create(pk=1)
        before = row.offset_seconds
        row.offset_seconds = before + int(delta.total_seconds())
        row.save(update_fields=["offset_seconds"])
        audit_record(action="clock.advanced", object_type="clock", object_id=1,
                     before={"offset_seconds": before}, after={"offset_seconds": row.offset_seconds})
    invalidate()
    return now()
