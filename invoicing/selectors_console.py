"""Reads for the console's invoice pages: the filtered list, and one invoice with everything that took
it from its total to its amount due (credit, credit notes, payments). What was paid back (refunds) is
payments': console.selectors adds it, since invoicing sits below payments.

Every read filters by the account as well as running in its RLS scope; a draft is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet

from invoicing.models import CreditNote, CreditNoteStatus, Invoice, InvoicePayment, InvoiceStatus
from invoicing.selectors import line_metrics

SHOWN_STATUSES = [s for s in InvoiceStatus.values if s != InvoiceStatus.DRAFT]


def invoices_listed(*, account_id: int, status: str | None = None, issued_from: date | None = None,
                    issued_to: date | None = None) -> QuerySet[Invoice]:
    """The account's finalized invoices, newest first, by status and issue date (both ends included)."""
    qs = Invoice.objects.filter(account_id=account_id, status__in=SHOWN_STATUSES)
    if status:
        qs = qs.filter(status=status)
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    return qs.only("id", "number", "status", "currency", "issue_date", "due_date", "period_start", "period_end",
                   "total", "amount_due", "overdue_at").order_by("-issue_date", "-id")


@dataclass
class InvoiceStatement:
    invoice: Invoice
    lines: list
    discounts: list
    payments: list[InvoicePayment]
    credit_notes: list[CreditNote]
    refunds: list = field(default_factory=list)  # payments.Refund that succeeded or are under way (console)
    metrics: dict = field(default_factory=dict)  # metric code -> BillableMetric, for the usage lines


def invoice_statement(*, invoice_id: int, account_id: int) -> InvoiceStatement | None:
    """One finalized invoice of the account with its lines, discounts, payments and credit notes (no refunds:
    console.selectors.invoice_statement_with_refunds adds them); None for another account's invoice or a
    draft (the page answers 404 for both)."""
    invoice = (Invoice.objects.filter(pk=invoice_id, account_id=account_id, status__in=SHOWN_STATUSES)
               .prefetch_related("lines", "discounts",
                                 Prefetch("payments", queryset=InvoicePayment.objects.order_by("recorded_at", "id")),
                                 Prefetch("credit_notes", queryset=CreditNote.objects.filter(
                                     status=CreditNoteStatus.ISSUED).order_by("issue_date", "id")))
               .first())
    if invoice is None:
        return None
    lines = list(invoice.lines.all())
    metrics = line_metrics(lines)
    return InvoiceStatement(invoice, lines, list(invoice.discounts.all()), list(invoice.payments.all()),
                            list(invoice.credit_notes.all()), metrics=metrics)
