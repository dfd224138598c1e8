"""The CSV tables: one per kind of document, read a row at a time for a date range.

Every amount is given twice, in minor units (`<name>_minor`, an integer) and in major units with the
currency's own digits (`<name>`, a plain decimal such as 12.50 or 1000), beside its ISO 4217 code.
Dates and times are ISO 8601 (UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from billing.models import CreditEntry
from billing.models.customers import CreditKind
from invoicing.models import CreditNote, Invoice, InvoiceLine, InvoicePayment, InvoiceStatus
from payments.models import Payment, Refund
from pricing.money import to_major

CHUNK = 2000
# Large JSON columns no export reads: decoding them per row would cost more than the row itself.
INVOICE_UNREAD = ("customer_snapshot", "operator_snapshot", "tax_breakdown", "tax_note", "memo")


def iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def major(minor: int | None, currency: str) -> str:
    return "" if minor is None else f"{to_major(minor, currency):f}"


def money_header(*names: str) -> list[str]:
    return [column for name in names for column in (f"{name}_minor", name)]


def money_cells(obj, currency: str, *names: str) -> list:
    return [cell for name in names for cell in (getattr(obj, name), major(getattr(obj, name), currency))]


@dataclass(frozen=True)
class Table:
    """One export: its header, the rows of a date range (inclusive), and one row per object."""

    kind: str
    label: str
    header: list[str]
    queryset: Callable[[date, date], QuerySet]
    row: Callable[[object], list]
    model: type

    def rows(self, start: date, end: date) -> Iterator[list]:
        return self.rows_of(self.queryset(start, end))

    def rows_of(self, objects: Iterable) -> Iterator[list]:
        if isinstance(objects, QuerySet):
            objects = objects.iterator(chunk_size=CHUNK)
        for obj in objects:
            yield self.row(obj)


INVOICE_MONEY = ("subtotal", "discount_total", "tax_total", "total", "credit_applied", "credited_total",
                 "amount_paid", "amount_due")


def _invoices(start, end):
    return (Invoice.objects.exclude(status=InvoiceStatus.DRAFT).filter(issue_date__range=(start, end))
            .select_related("account").defer(*INVOICE_UNREAD).order_by("issue_date", "id"))


def _invoice_row(inv: Invoice) -> list:
    return [inv.number, inv.pk, inv.account_id, inv.account.name, inv.account.external_id or "", inv.status,
            inv.billing_reason, iso(inv.issue_date), iso(inv.due_date), iso(inv.finalized_at), iso(inv.paid_at),
            iso(inv.voided_at), inv.currency, *money_cells(inv, inv.currency, *INVOICE_MONEY)]


LINE_MONEY = ("amount", "discount_amount", "tax_amount")


def _lines(start, end):
    return (InvoiceLine.objects.exclude(invoice__status=InvoiceStatus.DRAFT)
            .filter(invoice__issue_date__range=(start, end)).select_related("invoice")
            .only(*(f.name for f in InvoiceLine._meta.concrete_fields if f.name != "inputs"),
                  "invoice__number", "invoice__currency", "invoice__issue_date")
            .order_by("invoice__issue_date", "invoice_id", "position", "id"))


def _line_row(line: InvoiceLine) -> list:
    currency = line.invoice.currency
    return [line.invoice.number, line.invoice_id, line.pk, line.account_id, iso(line.invoice.issue_date), line.kind,
            line.description, line.metric_code, line.group_key, f"{line.quantity.normalize():f}",
            "" if line.unit_price is None else f"{line.unit_price.normalize():f}", iso(line.period_start),
            iso(line.period_end), line.tax_name, f"{line.tax_percentage.normalize():f}", line.tax_inclusive,
            currency, *money_cells(line, currency, *LINE_MONEY)]


def _payments(start, end):
    return (Payment.objects.filter(created_at__date__range=(start, end)).select_related("invoice")
            .order_by("created_at", "id"))


def _payment_row(p: Payment) -> list:
    return [p.pk, p.invoice.number or "", p.invoice_id, p.account_id, p.status, p.gateway, p.gateway_payment_id,
            p.gateway_charge_id, iso(p.created_at), iso(p.succeeded_at), iso(p.failed_at), p.failure_code,
            p.currency, *money_cells(p, p.currency, "amount", "amount_refunded")]


def _receipts(start, end):
    return (InvoicePayment.objects.filter(recorded_at__date__range=(start, end)).select_related("invoice")
            .order_by("recorded_at", "id"))


def _receipt_row(r: InvoicePayment) -> list:
    currency = r.invoice.currency
    return [r.pk, r.invoice.number, r.invoice_id, r.account_id, r.source, r.reference, iso(r.recorded_at), currency,
            *money_cells(r, currency, "amount")]


def _refunds(start, end):
    return (Refund.objects.filter(created_at__date__range=(start, end)).select_related("payment__invoice")
            .order_by("created_at", "id"))


def _refund_row(r: Refund) -> list:
    return [r.pk, r.payment_id, r.payment.invoice.number or "", r.account_id, r.status, r.reason,
            r.gateway_refund_id, r.credit_note_id or "", iso(r.created_at), iso(r.succeeded_at), r.currency,
            *money_cells(r, r.currency, "amount")]


def _credit_notes(start, end):
    return (CreditNote.objects.filter(issue_date__range=(start, end)).select_related("invoice")
            .order_by("issue_date", "id"))


def _credit_note_row(n: CreditNote) -> list:
    return [n.number, n.pk, n.invoice.number, n.invoice_id, n.account_id, n.status, n.credit_method, n.reason,
            iso(n.issue_date), n.currency, *money_cells(n, n.currency, "subtotal", "tax_total", "total")]


def _grants(start, end):
    return (CreditEntry.objects.filter(kind=CreditKind.GRANT, created_at__date__range=(start, end))
            .select_related("account").order_by("created_at", "id"))


def _grant_row(g: CreditEntry) -> list:
    return [g.pk, g.account_id, g.account.name, g.reason, g.reference, iso(g.created_at), iso(g.expires_at),
            g.currency, *money_cells(g, g.currency, "amount")]


TABLES = {table.kind: table for table in [
    Table("invoices", "Invoices (by issue date)",
          ["number", "invoice_id", "account_id", "account_name", "account_external_id", "status", "billing_reason",
           "issue_date", "due_date", "finalized_at", "paid_at", "voided_at", "currency",
           *money_header(*INVOICE_MONEY)], _invoices, _invoice_row, Invoice),
    Table("invoice_lines", "Invoice lines (by invoice issue date)",
          ["invoice_number", "invoice_id", "line_id", "account_id", "issue_date", "kind", "description",
           "metric_code", "group_key", "quantity", "unit_price", "period_start", "period_end", "tax_name",
           "tax_percentage", "tax_inclusive", "currency", *money_header(*LINE_MONEY)], _lines, _line_row, InvoiceLine),
    Table("payments", "Payments through the gateway (by creation date)",
          ["payment_id", "invoice_number", "invoice_id", "account_id", "status", "gateway", "gateway_payment_id",
           "gateway_charge_id", "created_at", "succeeded_at", "failed_at", "failure_code", "currency",
           *money_header("amount", "amount_refunded")], _payments, _payment_row, Payment),
    Table("receipts", "Money received on invoices, by card or out of band (by date recorded)",
          ["receipt_id", "invoice_number", "invoice_id", "account_id", "source", "reference", "recorded_at",
           "currency", *money_header("amount")], _receipts, _receipt_row, InvoicePayment),
    Table("refunds", "Refunds (by creation date)",
          ["refund_id", "payment_id", "invoice_number", "account_id", "status", "reason", "gateway_refund_id",
           "credit_note_id", "created_at", "succeeded_at", "currency", *money_header("amount")],
          _refunds, _refund_row, Refund),
    Table("credit_notes", "Credit notes (by issue date)",
          ["number", "credit_note_id", "invoice_number", "invoice_id", "account_id", "status", "credit_method",
           "reason", "issue_date", "currency", *money_header("subtotal", "tax_total", "total")],
          _credit_notes, _credit_note_row, CreditNote),
    Table("credit_grants", "Credit grants (by grant date)",
          ["grant_id", "account_id", "account_name", "reason", "reference", "created_at", "expires_at", "currency",
           *money_header("amount")], _grants, _grant_row, CreditEntry),
]}
