"""The last run of each periodic job (billing.models.JobRun), recorded from Celery's task signals.

Only tasks in the beat schedule are recorded (not the chunks a bill run fans out); recording never
fails a task: a database error is logged and dropped."""

from __future__ import annotations

import logging
import time

from django.utils import timezone

logger = logging.getLogger(__name__)
_started: dict[str, tuple[float, object]] = {}


def _scheduled(name: str) -> bool:
    from billing.jobs import beat_intervals

    return name in beat_intervals()


def _task_started(task_id=None, task=None, **kwargs) -> None:
    if task is not None and _scheduled(task.name):
        _started[task_id] = (time.perf_counter(), timezone.now())


def _task_finished(task_id=None, task=None, state=None, retval=None, **kwargs) -> None:
    begun = _started.pop(task_id, None)
    if task is None or begun is None:
        return
    error = repr(retval)[:500] if state == "FAILURE" else ""
    job_run_record(task=task.name, task_id=task_id or "", started_at=begun[1],
                   duration_ms=round((time.perf_counter() - begun[0]) * 1000), outcome=state or "UNKNOWN",
                   error=error)


def job_run_record(*, task: str, task_id: str, started_at, duration_ms: int, outcome: str, error: str = "") -> None:
    """Upsert the task's one row (concurrent runs: the last to finish wins)."""
    from billing.models import JobRun

    run = JobRun(task=task, task_id=task_id, started_at=started_at, finished_at=timezone.now(),
                 duration_ms=duration_ms, outcome=outcome, error=error)
    try:
        JobRun.objects.bulk_create([run], update_conflicts=True, unique_fields=["task"],
                                   update_fields=["task_id", "started_at", "finished_at", "duration_ms", "outcome",
                                                  "error"])
    except Exception:  # the job ran; only its record is lost
        logger.exception("could not record the run of %s", task)


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="billing_job_runs_prerun")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="billing_job_runs_postrun")
