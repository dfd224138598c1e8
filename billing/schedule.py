"""Periodic jobs of the billing app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "outbox-deliver": {"task": "billing.outbox_deliver", "schedule": 10.0,
        "description": "Sends the recorded domain events (emails, outbound webhooks, the event stream)."},
    "metrics-refresh": {"task": "billing.metrics_refresh", "schedule": 60.0,
        "description": "Refreshes the business figures shown on /metrics (MRR, ARR, outbox lag)."},
    "worker-heartbeat": {"task": "billing.heartbeat", "schedule": crontab(minute="*/5"),
        "description": "Proves a worker is alive: the health check warns when it stops."},
    "subscriptions-roll": {"task": "billing.subscriptions_roll", "schedule": crontab(minute="*/5"),
        "description": "Moves subscriptions into their next period, ends trials and applies scheduled changes."},
    "credits-expire": {"task": "billing.credits_expire", "schedule": crontab(minute=7),
        "description": "Expires credit grants past their expiry date (ledger entries, audited)."},
    "signin-throttles-prune": {"task": "billing.signin_throttles_prune", "schedule": crontab(minute=17),
        "description": "Forgets old console sign-in throttles."},
}
