"""Periodic jobs of the billing app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "outbox-deliver": {"task": "billing.outbox_deliver", "schedule": 10.0},
    "metrics-refresh": {"task": "billing.metrics_refresh", "schedule": 60.0},
    "worker-heartbeat": {"task": "billing.heartbeat", "schedule": crontab(minute="*/5")},
    "subscriptions-roll": {"task": "billing.subscriptions_roll", "schedule": crontab(minute="*/5")},
    "credits-expire": {"task": "billing.credits_expire", "schedule": crontab(minute=7)},
    "signin-throttles-prune": {"task": "billing.signin_throttles_prune", "schedule": crontab(minute=17)},
}
