from django.db import models


class JobRun(models.Model):
    """The last run of each periodic job (one row per task, overwritten): what the schedule page shows.

    Operator data, not an account's: no row-level security. Kept to one row per task rather than a
    history (django-celery-results would store every task's result, bill-run chunks included)."""

    task = models.CharField(max_length=200, unique=True)
    task_id = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField()
    duration_ms = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, help_text="Celery's state: SUCCESS, FAILURE, RETRY…")
    error = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"{self.task} {self.outcome} at {self.finished_at:%Y-%m-%d %H:%M:%S}"
