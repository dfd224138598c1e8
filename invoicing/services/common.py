"""Helpers shared by the invoice services: state guards, refreshing derived amounts, event payloads."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

from billing import clock
from billing.errors import InvalidTransition
from invoicing.models import Invoice, InvoiceDiscount, InvoiceLine, InvoiceStatus
from invoicing.selectors import tax_treatment_for
from invoicing.services.totals import LINE_TAX_COLUMNS, totals_recompute

# What the invoice services read with the row. Only the invoice row is locked (`row_lock`): locking
# the account too blocked every transaction writing a row that references it, and deadlocked racing
# finalizers.
WITH_ACCOUNT = ("account",)
TRACKED = ["status", "number", "subtotal", "discount_total", "tax_total", "total", "credit_applied",
           "credited_total", "amount_paid", "amount_reversed", "amount_due", "due_date", "payment_reference"]


def require(invoice: Invoice, *allowed: str, action: str) -> None:
    """An action that changes no status but needs one of these (editing a draft, crediting)."""
    if invoice.status not in allowed:
        raise InvalidTransition(f"Cannot {action} an invoice that is {invoice.status}.",
                                fields={"status": [invoice.status]})


def totals_save(changed_lines: list, changed_discounts: list) -> None:
    """Write what `totals_recompute` changed on lines and discounts (the invoice row is the caller's:
    saved by `refresh_totals`, written with the chunk by the set-based finalization)."""
    if changed_lines:
        InvoiceLine.objects.bulk_update(changed_lines, LINE_TAX_COLUMNS)
    if changed_discounts:
        InvoiceDiscount.objects.bulk_update(changed_discounts, ["amount"])


def refresh_totals(invoice: Invoice, treatment=None) -> None:
    """Recompute discounts, tax and totals of a draft from its lines, and save what changed."""
    totals_save(*totals_recompute(invoice, list(invoice.lines.order_by("position", "id")),
                                  list(invoice.discounts.order_by("position", "id")),
                                  treatment or tax_treatment_for(invoice.account)))
    invoice.save()


def today() -> date:
    """The operator's calendar day, by the billing clock."""
    return timezone.localdate(clock.now())


def payload(invoice: Invoice, **extra) -> dict:
    data = {
        "invoice_id": invoice.pk,
        "account_id": invoice.account_id,
        "subscription_id": invoice.subscription_id,
        "number": invoice.number,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": invoice.total,
        "amount_due": invoice.amount_due,
        "amount_paid": invoice.amount_paid,
        "collection_method": invoice.collection_method,
        "due_date": invoice.due_date,
    }
    data.update(extra)
    return data


def state(invoice: Invoice) -> dict:
    return {field: _plain(getattr(invoice, field)) for field in TRACKED}


def _plain(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


@contextmanager
def cyclic_gc_paused():
    """No cyclic garbage collection while a chunk runs; reference counting still frees as usual.

    A chunk allocates hundreds of thousands of small containers (rows, pictures, payloads) that
    live until it ends; each burst of allocations set off collections that walked them again and
    again, with the rest of the worker's heap: 40 % of a bill-run chunk's CPU (timed with
    gc.callbacks). What cycles a chunk leaves are collected once it is over."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def is_finalized(invoice: Invoice) -> bool:
    return invoice.status != InvoiceStatus.DRAFT
