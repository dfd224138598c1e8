"""The Celery base task: every job runs in the operator scope, as a system actor,
unless the feature it belongs to is switched off in the environment."""

import logging

from celery import Task

from billing import conf
from billing.context import Actor, acting_as
from billing.tenancy import operator_scope

logger = logging.getLogger(__name__)

# The jobs each feature flag (billing.conf.FEATURE_FLAGS, docs/configuration.md) switches off. Checked
# when the job runs, so a beat entry already stored by django-celery-beat, or a task queued
# before the flag changed, does nothing either. Only entry points: work a job has already
# split up (bill-run chunks) finishes.
JOB_FEATURES: dict[str, tuple[str, ...]] = {
    "invoicing.bill_run": ("invoicing",),
    "invoicing.finalize_due": ("invoicing",),
    "invoicing.mark_overdue": ("invoicing",),
    "invoicing.renewal_reminders": ("invoicing",),
    "invoicing.invoice_reminders": ("invoicing",),
    "payments.invoice_collect": ("payments",),
    "payments.collect_uncollected": ("payments",),
    "payments.dunning_retry_due": ("payments", "dunning"),
    "payments.dunning_retry_account": ("payments",),
    "payments.dunning_open_unpaid": ("payments", "dunning"),
    "payments.overdue_policy_apply": ("payments",),
    "payments.reconciliation_daily": ("reconciliation",),
    "payments.ledger_check_daily": ("payments",),
    "metering.usage_alerts_evaluate": ("usage_metering",),
}


def disabled_feature(task_name: str) -> str | None:
    """The switched-off feature that task belongs to, if any."""
    for feature in JOB_FEATURES.get(task_name, ()):
        if not conf.feature_enabled(feature):
            return feature
    return None


class OperatorTask(Task):
    def __call__(self, *args, **kwargs):
        feature = disabled_feature(self.name)
        if feature is not None:
            logger.info("job %s skipped: the %s feature is disabled", self.name, feature)
            return None
        with operator_scope(), acting_as(Actor(type="system", id=self.name, label=self.name)):
            return super().__call__(*args, **kwargs)


def run_periodic_jobs() -> list[str]:
    """Run every beat job once, in schedule order (advance_clock --run-jobs, demos, tests)."""
    return [name for name, _ in periodic_jobs_each()]


def periodic_jobs_each():
    """Run every beat job once, in schedule order, yielding (task name, what it returned) after each."""
    # The project's app (config/celery.py) is the current one: billing does not import config.
    from celery import current_app as app
    from django.conf import settings

    app.loader.import_default_modules()  # autodiscovered task modules
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = app.tasks[entry["task"]]
        result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
        yield entry["task"], result.result


_intervals: dict[str, float] | None = None


def beat_intervals() -> dict[str, float]:
    """The longest wait, in seconds, between two runs of each task in the beat schedule (its shortest
    schedule when it is there twice): what `billing_beat_job_interval_seconds` shows, so an alert can
    tell a job that missed its schedule. Worked out once per process from the settings."""
    global _intervals
    if _intervals is None:
        from django.conf import settings

        found: dict[str, float] = {}
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            seconds = _longest_wait(entry["schedule"])
            found[entry["task"]] = min(seconds, found.get(entry["task"], seconds))
        _intervals = found
    return _intervals


def _longest_wait(schedule) -> float:
    from datetime import timedelta

    from celery.schedules import crontab

    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, crontab):
        if len(schedule.day_of_month) < 31 or len(schedule.month_of_year) < 12:
            return 31 * 86400.0  # monthly or rarer: a month is the longest wait worth alerting on
        # The minutes of one week that match, then the longest gap between two (around the week's end too).
        week = [day * 1440 + hour * 60 + minute for day in range(7) if day in schedule.day_of_week
                for hour in sorted(schedule.hour) for minute in sorted(schedule.minute)]
        gaps = [later - earlier for earlier, later in zip(week, week[1:] + [week[0] + 7 * 1440], strict=True)]
        return max(gaps) * 60.0
    return float(getattr(schedule, "seconds", 0) or getattr(schedule, "run_every", timedelta()).total_seconds())
