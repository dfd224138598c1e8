"""Reminders of unpaid invoices the customer pays themselves, on a schedule around the due date.

Default: 3 days before the due date, then 1, 7 and 14 days after it
(INVOICE_REMINDER_DAYS_BEFORE_DUE, INVOICE_REMINDER_DAYS_AFTER_DUE). Only invoices collected by
invoice are reminded: `send_invoice`, or `charge_automatically` with no usable card (invoicing/
collection.py); a card on file is charged, and dunning tells of its failures.

Each reminder is sent once: a row per (invoice, step) is written with its event
(`billing.invoice.reminder`) in one transaction, and the email goes out from the event. A paid,
void or uncollectible invoice gets none. When the job was not run for a while (the clock jumped),
only the latest step reached is sent, not every step missed at once.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from billing import clock
from billing.outbox import event_record
from billing.transitions import row_lock
from invoicing import conf
from invoicing.collection import collected_by_invoice, has_usable_payment_method
from invoicing.models import Invoice, InvoiceReminder, InvoiceStatus
from invoicing.services.common import payload, today

INVOICE_REMINDER = "billing.invoice.reminder"


def invoice_reminders_send(*, limit: int = 1000) -> int:
    """The beat job: send the reminders that are due. Safe to run twice, or to kill halfway."""
    steps = conf.reminder_steps()
    if not steps:
        return 0
    day = today()
    candidates = (Invoice.objects.filter(status=InvoiceStatus.OPEN, amount_due__gt=0, due_date__isnull=False,
                                         due_date__lte=day - timedelta(days=steps[0]),
                                         due_date__gte=day - timedelta(days=steps[-1] + 30))
                  .order_by("due_date", "id").only("pk", "account_id", "collection_method", "due_date"))
    has_card: dict[int, bool] = {}
    sent = 0
    for invoice in candidates[:limit]:
        reached = [step for step in steps if invoice.due_date + timedelta(days=step) <= day]
        if not reached:
            continue
        if invoice.account_id not in has_card:
            has_card[invoice.account_id] = has_usable_payment_method(invoice.account_id)
        if not collected_by_invoice(invoice, has_card=has_card[invoice.account_id]):
            continue
        if invoice_reminder_record(invoice_id=invoice.pk, step=reached[-1]):
            sent += 1
    return sent


def invoice_reminder_record(*, invoice_id: int, step: int) -> bool:
    """Record reminder `step` of the invoice and announce it, unless it (or a later one) was sent or the
    invoice is no longer unpaid. Returns whether it was recorded now."""
    try:
        with transaction.atomic():
            invoice = row_lock(Invoice, invoice_id)
            if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
                return False
            if InvoiceReminder.objects.filter(invoice=invoice, step__gte=step).exists():
                return False
            InvoiceReminder.objects.create(account_id=invoice.account_id, invoice=invoice, step=step,
                                           sent_at=clock.now())
            event_record(type=INVOICE_REMINDER, account_id=invoice.account_id, payload=payload(
                invoice, step=step, days_overdue=max(0, (today() - invoice.due_date).days),
                days_until_due=max(0, (invoice.due_date - today()).days)))
    except IntegrityError:
        return False  # another worker recorded it
    return True
