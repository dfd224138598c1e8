"""Periodic jobs of the analytics app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Today's snapshot, replaced every hour: the day's last run (23:45) is what the day keeps. Past days
    # missed while beat was down are filled by `manage.py analytics_backfill`.
    "analytics-mrr-snapshot": {"task": "analytics.mrr_snapshot", "schedule": crontab(minute=45),
                               "description": "Takes today's MRR snapshot of every subscription and the month's "
                                              "figures (the finance dashboard, the analytics API)."},
}
