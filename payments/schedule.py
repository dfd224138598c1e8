"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "payments-webhook-process-due": {"task": "payments.webhook_process_due", "schedule": 60.0},
    "payments-payment-method-expiry-warnings": {
        "task": "payments.payment_method_expiry_warnings", "schedule": crontab(hour=8, minute=0),
    },
}
