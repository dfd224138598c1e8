"""Rows of the payments models made directly (no gateway), for tests of their state changes."""

from django.utils import timezone

from invoicing.services import invoice_finalize
from payments.models import Payment
from tests.invoicing.factories import draft


def payment_row(account, **invoice_fields) -> Payment:
    """A pending manual payment of a new open invoice of `account` (send_invoice unless told)."""
    invoice = invoice_finalize(invoice=draft(account, **{"collection_method": "send_invoice", **invoice_fields}))
    return Payment.objects.create(account=account, invoice=invoice, amount=invoice.amount_due, currency="USD",
                                  gateway="manual", reference=f"invoice:{invoice.pk}:attempt:1", attempt=1,
                                  created_at=timezone.now())
