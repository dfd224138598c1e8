"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "payments-webhook-process-due": {"task": "payments.webhook_process_due", "schedule": 60.0,
        "description": "Processes received Stripe webhook events that are due (retries included)."},
    "payments-janitor": {"task": "payments.janitor", "schedule": 60.0,
        "description": "Checks payments left pending at the gateway, expires unanswered 3-D Secure requests and "
                       "releases stale claims."},
    "payments-collect-uncollected": {"task": "payments.collect_uncollected", "schedule": crontab(minute="*/15"),
        "description": "Charges finalized invoices that were not collected yet (automatic collection)."},
    "payments-dunning-retry": {"task": "payments.dunning_retry_due", "schedule": crontab(minute="*/10"),
        "description": "Retries failed payments on the dunning schedule."},
    # Collections (docs/payments.md): past-due invoices into dunning, then the accounts' overdue states.
    "payments-dunning-open-unpaid": {"task": "payments.dunning_open_unpaid", "schedule": crontab(minute=20),
        "description": "Opens a dunning case for every invoice still unpaid after its due date (no card, a "
                       "transfer not received)."},
    "payments-overdue-policy": {"task": "payments.overdue_policy_apply", "schedule": crontab(minute=25),
        "description": "Moves accounts between good, warning, restricted and suspended by the days past due of "
                       "their oldest unpaid invoice."},
    "payments-payment-method-expiry-warnings": {
        "task": "payments.payment_method_expiry_warnings", "schedule": crontab(hour=8, minute=0),
        "description": "Warns customers whose card expires soon.",
    },
    "payments-reconciliation-daily": {"task": "payments.reconciliation_daily", "schedule": crontab(hour=2, minute=30),
        "description": "Compares yesterday's payments and refunds with Stripe and records discrepancies."},
    "payments-ledger-check-daily": {"task": "payments.ledger_check_daily", "schedule": crontab(hour=3, minute=15),
        "description": "Checks every account's balance against its invoices, payments, refunds, credit notes "
                       "and credits, and alerts finance on any difference."},
}
