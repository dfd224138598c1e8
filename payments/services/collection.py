"""The safety net of collection: open charge_automatically invoices that no attempt ever reached."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from invoicing.models import CollectionMethod, Invoice, InvoiceStatus

from .charging import payment_collect

# The outbox hands an invoice over within seconds; only invoices older than this were missed.
GRACE = timedelta(minutes=15)


def invoices_collect_for_account(*, account_id: int) -> int:
    """A payment method was added: collect the account's open invoices that never had an attempt.
    (Invoices already in dunning are retried by dunning.)"""
    waiting = (Invoice.objects.filter(account_id=account_id, status=InvoiceStatus.OPEN, amount_due__gt=0,
                                      collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
                                      gateway_payments__isnull=True)
               .order_by("finalized_at").values_list("pk", flat=True))
    count = 0
    for invoice_id in list(waiting):
        payment_collect(invoice_id=invoice_id, trigger="payment_method_added")
        count += 1
    return count


def invoices_collect_missed(*, limit: int = 100) -> int:
    """Collect finalized invoices that have no payment attempt at all (a lost task). Safe to rerun."""
    missed = (Invoice.objects.filter(status=InvoiceStatus.OPEN, amount_due__gt=0,
                                     collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
                                     finalized_at__lte=timezone.now() - GRACE, gateway_payments__isnull=True)
              .order_by("finalized_at").values_list("pk", flat=True)[:limit])
    count = 0
    for invoice_id in list(missed):
        payment_collect(invoice_id=invoice_id, trigger="sweep")
        count += 1
    return count
