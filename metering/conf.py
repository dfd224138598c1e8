"""Metering settings (config/settings/metering.py, documented in docs/configuration.md).

Read through here, at call time, so tests can override them with `override_settings`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

_DEFAULTS = {
    "METERING_ACCEPTANCE_WINDOW_DAYS": 35,
    "METERING_FUTURE_TOLERANCE_SECONDS": 300,
    "METERING_RETENTION_DAYS": 90,
    "METERING_MAX_BATCH": 1000,
    "METERING_MAX_PROPERTIES_BYTES": 4096,
    "METERING_LATE_EVENTS": "bill",
    "METERING_ROLLUP_LAG_SECONDS": 60,
    "METERING_QUOTA_COUNTER_TTL_SECONDS": 600,
    "METERING_ENTITLEMENT_CACHE_SECONDS": 30,
}


def get(name: str):
    return getattr(settings, name, _DEFAULTS[name])


def acceptance_window() -> timedelta:
    return timedelta(days=get("METERING_ACCEPTANCE_WINDOW_DAYS"))


def future_tolerance() -> timedelta:
    return timedelta(seconds=get("METERING_FUTURE_TOLERANCE_SECONDS"))


def retention() -> timedelta:
    return timedelta(days=get("METERING_RETENTION_DAYS"))


def key_retention() -> timedelta:
    """Idempotency keys outlive the acceptance window, so a resend is never counted twice."""
    return acceptance_window() + timedelta(days=1)
