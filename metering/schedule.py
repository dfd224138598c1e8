"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Every 10 s: the raw tail that reads add to the rollups stays a few seconds of events.
    "metering-rollups": {"task": "metering.usage_rollups_advance", "schedule": 10.0,
        "description": "Folds new usage events into the rollups that quotas and invoices read."},
    "metering-alerts": {"task": "metering.usage_alerts_evaluate", "schedule": 60.0,
        "description": "Evaluates usage alerts and quota thresholds."},
    "metering-partitions": {"task": "metering.usage_partitions_maintain", "schedule": crontab(minute=7),
        "description": "Creates the usage tables' upcoming partitions and drops expired ones."},
    "metering-keys-prune": {"task": "metering.usage_keys_prune", "schedule": crontab(minute=37),
        "description": "Forgets usage idempotency keys past their retention."},
    "metering-fine-rollups-prune": {"task": "metering.usage_fine_rollups_prune", "schedule": crontab(minute=47),
        "description": "Drops fine-grained rollups past their retention."},
}
