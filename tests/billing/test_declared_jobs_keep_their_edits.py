"""A periodic job changed in the admin stays as changed when a beat starts again; storing the declared
jobs from the jobs page brings the declarations back (billing/beat_schedule.py)."""

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from billing.admin.jobs import beat_schedule_store
from billing.beat_schedule import DeclaredJobEntry
from config.celery import app

pytestmark = pytest.mark.django_db
NAME = "invoicing-finalize-due"


def beat_starts() -> None:
    """What a starting beat does with the declarations (DatabaseScheduler.update_from_dict)."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        DeclaredJobEntry.from_entry(name, app=app, **entry)


def test_a_declared_job_is_stored_with_its_schedule_and_description():
    beat_starts()
    task = PeriodicTask.objects.get(name=NAME)
    assert (task.task, task.enabled, task.interval.every) == ("invoicing.finalize_due", True, 300)
    assert task.description == settings.CELERY_BEAT_SCHEDULE[NAME]["description"]
    assert PeriodicTask.objects.filter(name__in=list(settings.CELERY_BEAT_SCHEDULE)).count() == len(
        settings.CELERY_BEAT_SCHEDULE)


def test_an_edited_job_keeps_its_edit_when_a_beat_starts_again():
    beat_starts()
    task = PeriodicTask.objects.get(name=NAME)
    task.interval = IntervalSchedule.objects.create(every=900, period=IntervalSchedule.SECONDS)
    task.enabled = False
    task.description = "old words"
    task.save()
    beat_starts()
    task.refresh_from_db()
    assert (task.enabled, task.interval.every) == (False, 900)
    assert task.description == settings.CELERY_BEAT_SCHEDULE[NAME]["description"]  # the text follows the code


def test_storing_the_declared_jobs_brings_the_declaration_back():
    beat_starts()
    task = PeriodicTask.objects.get(name=NAME)
    task.enabled = False
    task.save()
    beat_schedule_store()
    task.refresh_from_db()
    assert task.enabled
