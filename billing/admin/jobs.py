"""The periodic jobs page (/admin/jobs/): each job of the beat schedule with its description, schedule,
last run (when, how long, outcome) and next run, and a link to edit it in django-celery-beat's admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.schedules import schedule as every
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from billing.models import JobRun


@dataclass
class Job:
    name: str
    task: str
    description: str
    schedule: str
    enabled: bool
    stored: PeriodicTask | None
    last_run: JobRun | None
    next_run: datetime | None

    @property
    def edit_url(self) -> str:
        return reverse("admin:django_celery_beat_periodictask_change", args=[self.stored.pk]) if self.stored else ""

    @property
    def duration(self) -> str:
        if self.last_run is None or self.last_run.duration_ms is None:
            return ""
        return f"{self.last_run.duration_ms / 1000:.3f} s"


def _celery_schedule(declared):
    if isinstance(declared, int | float):
        return every(timedelta(seconds=declared))
    if isinstance(declared, timedelta):
        return every(declared)
    return declared


def _describe(declared) -> str:
    if isinstance(declared, int | float):
        return f"every {declared:g} s"
    return str(declared).replace("<crontab: ", "cron ").rstrip(">")


def _next_run(schedule, last: datetime | None) -> datetime | None:
    now = timezone.now()
    try:
        return now + schedule.remaining_estimate(last or now)
    except Exception:  # a schedule celery cannot estimate (a solar event, a clocked task done)
        return None


def jobs_list() -> list[Job]:
    """The declared jobs (settings.CELERY_BEAT_SCHEDULE, from each app's schedule.py), then any job added
    in the admin only; what the beat stored (django-celery-beat) wins over what is declared."""
    stored = {task.name: task for task in PeriodicTask.objects.select_related(
        "interval", "crontab", "solar", "clocked")}
    runs = {run.task: run for run in JobRun.objects.all()}
    jobs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = stored.pop(name, None)
        run = runs.get(entry["task"])
        last = run.finished_at if run else (task.last_run_at if task else None)
        schedule = task.schedule if task else _celery_schedule(entry["schedule"])
        jobs.append(Job(name, entry["task"], (task.description if task and task.description else
                                              entry.get("description", "")),
                        str(task.scheduler or "") if task else _describe(entry["schedule"]),
                        task.enabled if task else True, task, run, _next_run(schedule, last)))
    for name, task in stored.items():
        if name.startswith("celery."):  # celery's own (backend cleanup)
            continue
        run = runs.get(task.task)
        last = run.finished_at if run else task.last_run_at
        jobs.append(Job(name, task.task, task.description, str(task.scheduler or ""), task.enabled, task, run,
                        _next_run(task.schedule, last) if task.enabled else None))
    return jobs


def beat_schedule_store() -> int:
    """Store the declared jobs in django-celery-beat's tables as they are declared (`ModelEntry.from_entry`),
    so they can be edited before a beat ever ran, or put back as declared after an edit. Returns how many."""
    from celery import current_app
    from django_celery_beat.schedulers import ModelEntry

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = ModelEntry.from_entry(name, app=current_app, **entry).model
        if not task.enabled:  # a declared job runs: storing the declarations switches it back on
            task.enabled = True
            task.save(update_fields=["enabled"])
    return len(settings.CELERY_BEAT_SCHEDULE)


def jobs_page(request):
    if not request.user.has_perm("django_celery_beat.view_periodictask"):
        raise PermissionDenied
    can_edit = request.user.has_perm("django_celery_beat.change_periodictask")
    if request.method == "POST":
        if not (can_edit and request.user.has_perm("django_celery_beat.add_periodictask")):
            raise PermissionDenied
        messages.success(request, f"Stored {beat_schedule_store()} declared jobs: each can now be edited.")
        return redirect("admin-jobs")
    jobs = jobs_list()
    return TemplateResponse(request, "admin/jobs/page.html", {
        **admin.site.each_context(request), "title": "Periodic jobs", "jobs": jobs, "can_edit": can_edit,
        "unstored": sum(1 for job in jobs if job.stored is None),
    })
