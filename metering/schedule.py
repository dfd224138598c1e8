"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Every 10 s: the raw tail that reads add to the rollups stays a few seconds of events.
    "metering-rollups": {"task": "metering.usage_rollups_advance", "schedule": 10.0},
    "metering-alerts": {"task": "metering.usage_alerts_evaluate", "schedule": 60.0},
    "metering-partitions": {"task": "metering.usage_partitions_maintain", "schedule": crontab(minute=7)},
    "metering-keys-prune": {"task": "metering.usage_keys_prune", "schedule": crontab(minute=37)},
    "metering-fine-rollups-prune": {"task": "metering.usage_fine_rollups_prune", "schedule": crontab(minute=47)},
}
