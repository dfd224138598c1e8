"""Metering settings, each overridable in Django settings or the environment (docs/metering.md)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from config.settings.env import env

_DEFAULTS = {
    # How far back an event's timestamp may be (and how long idempotency keys are kept, plus a day).
    "METERING_ACCEPTANCE_WINDOW_DAYS": ("int", 35),
    # How far ahead of now an event's timestamp may be.
    "METERING_FUTURE_TOLERANCE_SECONDS": ("int", 300),
    # Raw events older than this are dropped, a whole daily partition at a time; rollups stay.
    "METERING_RETENTION_DAYS": ("int", 90),
    "METERING_MAX_BATCH": ("int", 1000),
    "METERING_MAX_PROPERTIES_BYTES": ("int", 4096),
    # "bill": late events for an invoiced period are kept and billed on the next invoice;
    # "reject": refused with reason period_closed.
    "METERING_LATE_EVENTS": ("str", "bill"),
    # Rollups only fold events received at least this long ago, so no in-flight batch is missed.
    "METERING_ROLLUP_LAG_SECONDS": ("int", 60),
    # Redis quota counters are rebuilt from PostgreSQL at least this often.
    "METERING_QUOTA_COUNTER_TTL_SECONDS": ("int", 600),
    # Plan limits are cached this long per process (the quota check must not hit PostgreSQL).
    "METERING_ENTITLEMENT_CACHE_SECONDS": ("int", 30),
}


def get(name: str):
    kind, default = _DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    return env.int(name, default=default) if kind == "int" else env.str(name, default=default)


def acceptance_window() -> timedelta:
    return timedelta(days=get("METERING_ACCEPTANCE_WINDOW_DAYS"))


def future_tolerance() -> timedelta:
    return timedelta(seconds=get("METERING_FUTURE_TOLERANCE_SECONDS"))


def retention() -> timedelta:
    return timedelta(days=get("METERING_RETENTION_DAYS"))


def key_retention() -> timedelta:
    """Idempotency keys outlive the acceptance window, so a resend is never counted twice."""
    return acceptance_window() + timedelta(days=1)
