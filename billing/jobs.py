"""The Celery base task: every job runs in the operator scope, as a system actor."""

from celery import Task

from billing.context import Actor, acting_as
from billing.tenancy import operator_scope


class OperatorTask(Task):
    def __call__(self, *args, **kwargs):
        with operator_scope(), acting_as(Actor(type="system", id=self.name, label=self.name)):
            return super().__call__(*args, **kwargs)


def run_periodic_jobs() -> list[str]:
    """Run every beat job once, in schedule order (advance_clock --run-jobs, demos, tests)."""
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()  # autodiscovered task modules
    ran = []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        task = app.tasks[entry["task"]]
        task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
        ran.append(entry["task"])
    return ran
