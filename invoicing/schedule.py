"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "invoicing-bill-run": {"task": "invoicing.bill_run", "schedule": crontab(minute="*/10")},
    "invoicing-finalize-due": {"task": "invoicing.finalize_due", "schedule": 300.0},
    "invoicing-mark-overdue": {"task": "invoicing.mark_overdue", "schedule": crontab(minute=15)},
    "invoicing-invoice-reminders": {"task": "invoicing.invoice_reminders", "schedule": crontab(minute=45)},
    "invoicing-renewal-reminders": {"task": "invoicing.renewal_reminders", "schedule": crontab(minute=30)},
}
