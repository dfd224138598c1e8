"""The beat's scheduler: django-celery-beat's database scheduler, except that a declared job already
stored keeps what finance changed in the admin.

Each app declares its periodic jobs in `<app>/schedule.py`. django-celery-beat writes every declared job
over its stored row each time a beat starts, so a schedule changed or a job switched off in the admin
came back at the next restart. Here a beat stores a declared job that is missing, and of a stored one
refreshes only its description and task; its schedule, arguments and whether it is enabled stay as
they are. "Store the declared jobs now" on the jobs page (`billing/admin/jobs.py`) is the way back to
the declarations (docs/finance-guide.md, "The periodic jobs").
"""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


def declared_job_keep(name: str, entry: dict) -> PeriodicTask:
    """The stored job for a declaration: created from it when missing, else left as edited (bar its text)."""
    fields = DeclaredJobEntry._unpack_fields(**entry)
    task, created = PeriodicTask._default_manager.get_or_create(name=name, defaults=fields)
    if not created:
        refreshed = {key: fields[key] for key in ("task", "description") if key in fields
                     and getattr(task, key) != fields[key]}
        if refreshed:
            for key, value in refreshed.items():
                setattr(task, key, value)
            task.save(update_fields=list(refreshed))
    return task


class DeclaredJobEntry(ModelEntry):
    @classmethod
    def from_entry(cls, name, app=None, **entry):
        return cls(declared_job_keep(name, entry), app=app)


class DeclaredJobsScheduler(DatabaseScheduler):
    Entry = DeclaredJobEntry
