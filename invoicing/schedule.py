"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

BEAT_SCHEDULE: dict = {}
