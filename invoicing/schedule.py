"""Periodic jobs of this app (merged into CELERY_BEAT_SCHEDULE by config/settings/jobs.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "invoicing-bill-run": {"task": "invoicing.bill_run", "schedule": crontab(minute="*/10"),
        "description": "The bill run: drafts an invoice for every subscription period that has ended."},
    "invoicing-finalize-due": {"task": "invoicing.finalize_due", "schedule": 300.0,
        "description": "Finalizes drafts whose grace period has passed (numbers them, sends them for payment)."},
    "invoicing-mark-overdue": {"task": "invoicing.mark_overdue", "schedule": crontab(minute=15),
        "description": "Marks open invoices past their due date overdue (once)."},
    "invoicing-invoice-reminders": {"task": "invoicing.invoice_reminders", "schedule": crontab(minute=45),
        "description": "Sends each invoice's payment reminders on the schedule (before and after its due date), "
                       "once each, never after payment."},
    "invoicing-renewal-reminders": {"task": "invoicing.renewal_reminders", "schedule": crontab(minute=30),
        "description": "Sends renewal reminders before annual renewals."},
}
