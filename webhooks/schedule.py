"""Periodic jobs of the webhooks app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

BEAT_SCHEDULE = {
    # The first retry of a failed delivery is due 5 s after it; a fan-out also queues the job at once.
    "webhooks-deliver": {"task": "webhooks.deliver", "schedule": 5.0,
        "description": "Delivers outbound webhooks to customers' endpoints, with retries."},
}
