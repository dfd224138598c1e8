"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "invoicing-finalize-due": {"task": "invoicing.finalize_due", "schedule": 300.0},
    "invoicing-mark-overdue": {"task": "invoicing.mark_overdue", "schedule": crontab(minute=15)},
}
