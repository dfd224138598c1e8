"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "payments-webhook-process-due": {"task": "payments.webhook_process_due", "schedule": 60.0},
    "payments-janitor": {"task": "payments.janitor", "schedule": 60.0},
    "payments-collect-uncollected": {"task": "payments.collect_uncollected", "schedule": crontab(minute="*/15")},
    "payments-dunning-retry": {"task": "payments.dunning_retry_due", "schedule": crontab(minute="*/10")},
    # Collections (docs/payments.md): past-due invoices into dunning, then the accounts' overdue states.
    "payments-dunning-open-unpaid": {"task": "payments.dunning_open_unpaid", "schedule": crontab(minute=20)},
    "payments-overdue-policy": {"task": "payments.overdue_policy_apply", "schedule": crontab(minute=25)},
    "payments-payment-method-expiry-warnings": {
        "task": "payments.payment_method_expiry_warnings", "schedule": crontab(hour=8, minute=0),
    },
    "payments-reconciliation-daily": {"task": "payments.reconciliation_daily", "schedule": crontab(hour=2, minute=30)},
    "payments-ledger-check-daily": {"task": "payments.ledger_check_daily", "schedule": crontab(hour=3, minute=15)},
}
