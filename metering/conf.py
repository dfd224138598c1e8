"""Metering's settings, each declared once (billing/app_settings.py explains the convention).

Read them as `conf.settings.NAME`, at call time; config/settings/metering.py reads the environment.
"""

from __future__ import annotations

from datetime import timedelta

from billing.app_settings import AppSettings, Setting, Text, WholeNumber

LATE_EVENT_POLICIES = ("bill", "reject")


class MeteringSettings(AppSettings):
    app_label = "metering"

    METERING_ACCEPTANCE_WINDOW_DAYS = Setting(WholeNumber(), 35, minimum=1, doc=(
        "the oldest usage event timestamp accepted (idempotency keys are kept a day longer)"))
    METERING_FUTURE_TOLERANCE_SECONDS = Setting(WholeNumber(), 300, minimum=0, doc=(
        "how far ahead of now an event timestamp may be"))
    METERING_RETENTION_DAYS = Setting(WholeNumber(), 90, minimum=1, doc=(
        "raw usage events kept; whole daily partitions are dropped after (rollups stay); at least "
        "`METERING_ACCEPTANCE_WINDOW_DAYS`"))
    METERING_MAX_BATCH = Setting(WholeNumber(), 1000, minimum=1, doc=(
        "events per `POST /api/v1/usage/events`"))
    METERING_MAX_PROPERTIES_BYTES = Setting(WholeNumber(), 4096, minimum=0, doc=(
        "size of an event's `properties` as JSON"))
    METERING_LATE_EVENTS = Setting(Text(), "bill", choices=LATE_EVENT_POLICIES, doc=(
        "`bill`: late events for an invoiced period go on the next invoice; `reject`: refused"))
    METERING_ROLLUP_LAG_SECONDS = Setting(WholeNumber(), 5, minimum=0, doc=(
        "how far behind now the rollup job folds events at least (it never passes an open transaction "
        "of the application's role); a margin for writers of other roles"))
    METERING_ROLLUP_LAG_ALERT_SECONDS = Setting(WholeNumber(), 300, minimum=1, doc=(
        "`/health/rollups` answers 503 when the rollup job is further behind than this"))
    METERING_QUOTA_COUNTER_TTL_SECONDS = Setting(WholeNumber(), 600, minimum=1, doc=(
        "Redis quota counters are rebuilt from PostgreSQL at least this often"))
    METERING_ENTITLEMENT_CACHE_SECONDS = Setting(WholeNumber(), 30, minimum=0, doc=(
        "plan limits cached per process for quota checks"))

    def check_together(self) -> list:
        # An accepted event must find its daily partition: none older than retention is kept.
        if self.METERING_RETENTION_DAYS < self.METERING_ACCEPTANCE_WINDOW_DAYS:
            return [self.error(
                f"METERING_RETENTION_DAYS ({self.METERING_RETENTION_DAYS}) is shorter than "
                f"METERING_ACCEPTANCE_WINDOW_DAYS ({self.METERING_ACCEPTANCE_WINDOW_DAYS}): events would be "
                "accepted that are no longer stored.", "METERING_RETENTION_DAYS", "METERING_ACCEPTANCE_WINDOW_DAYS")]
        return []


settings = MeteringSettings()


def acceptance_window() -> timedelta:
    return timedelta(days=settings.METERING_ACCEPTANCE_WINDOW_DAYS)


def future_tolerance() -> timedelta:
    return timedelta(seconds=settings.METERING_FUTURE_TOLERANCE_SECONDS)


def retention() -> timedelta:
    return timedelta(days=settings.METERING_RETENTION_DAYS)


def key_retention() -> timedelta:
    """Idempotency keys outlive the acceptance window, so a resend is never counted twice."""
    return acceptance_window() + timedelta(days=1)
