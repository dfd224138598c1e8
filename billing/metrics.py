"""The billing app's metrics: subscriptions by plan, the outbox, Celery tasks and beat jobs.

Declared on the Redis-backed store (billing/metric_store.py explains why); docs/observability.md
lists every metric. The gauges that need queries are refreshed by `billing.metrics_refresh`.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from billing.metric_store import Counter, Gauge, Histogram, refresher

ACTIVE_SUBSCRIPTIONS = Gauge("billing_active_subscriptions",
                             "Subscriptions that are active or past due, by plan code", ["plan"])
# billing_mrr and billing_arr are analytics' (analytics/metrics.py): read from its daily snapshot.
OUTBOX_LAG = Gauge("billing_outbox_lag_seconds", "Age of the oldest outbox event not yet delivered (0: none)")
OUTBOX_PENDING = Gauge("billing_outbox_pending_events", "Outbox events waiting for delivery")
OUTBOX_FAILED = Gauge("billing_outbox_failed_events", "Outbox events the outbox gave up delivering")

TASK_DURATION = Histogram("billing_celery_task_duration_seconds", "Run time of Celery tasks", ["task"])
TASKS = Counter("billing_celery_tasks_total", "Celery task runs by final state", ["task", "state"])
TASK_FAILURES = Counter("billing_celery_task_failures_total", "Celery task runs that raised", ["task"])


def _beat_intervals() -> dict[tuple, float]:
    from billing.jobs import beat_intervals

    return {(task,): seconds for task, seconds in beat_intervals().items()}


BEAT_LAST_SUCCESS = Gauge("billing_beat_job_last_success_timestamp_seconds",
                          "When each periodic job last finished without error (Unix time)", ["task"])
BEAT_INTERVAL = Gauge("billing_beat_job_interval_seconds",
                      "The longest time between two runs of each periodic job in the beat schedule", ["task"],
                      read=_beat_intervals)


@refresher
def billing_gauges() -> dict:
    from django.db.models import Count, Min

    from billing.models import OutboxEvent
    from billing.models.outbox import OutboxStatus
    from billing.selectors.revenue import subscriptions_paying_by_plan

    pending = OutboxEvent.objects.filter(status=OutboxStatus.PENDING).aggregate(n=Count("id"),
                                                                                 oldest=Min("created_at"))
    lag = (timezone.now() - pending["oldest"]) if pending["oldest"] else timedelta(0)
    return {
        ACTIVE_SUBSCRIPTIONS: {(plan,): n for plan, n in subscriptions_paying_by_plan().items()},
        OUTBOX_LAG: {(): max(lag.total_seconds(), 0.0)},
        OUTBOX_PENDING: {(): pending["n"]},
        OUTBOX_FAILED: {(): OutboxEvent.objects.filter(status=OutboxStatus.FAILED).count()},
    }


# --- Celery -----------------------------------------------------------------------------------------------------

_started: dict[str, float] = {}


def _task_started(task_id=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()


def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    if started is not None:
        TASK_DURATION.observe(time.perf_counter() - started, task=name)
    TASKS.inc(task=name, state=state or "UNKNOWN")
    if state == "SUCCESS":
        from billing.jobs import beat_intervals

        if name in beat_intervals():
            BEAT_LAST_SUCCESS.set(time.time(), task=name)


def _task_failed(sender=None, **kwargs) -> None:
    TASK_FAILURES.inc(task=getattr(sender, "name", None) or "unknown")


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="billing_metrics_prerun")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="billing_metrics_postrun")
    signals.task_failure.connect(_task_failed, weak=False, dispatch_uid="billing_metrics_failure")
