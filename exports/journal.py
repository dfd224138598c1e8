"""The accounting journal: double-entry lines per document, balanced per document (debits = credits).

Documents and their entries (accounts from `exports.conf`):

- invoice issued (issue date): debit receivable the total; credit revenue per product (the total less
  tax, split by each product's lines net of discounts) and tax per rate (the invoice's tax breakdown);
  customer credit used: debit credit balance, credit receivable.
- invoice voided (void date): the issue entry reversed, less what its credit notes reversed already.
- payment received (recorded date, gateway or out of band): debit cash, credit receivable.
- refund paid out (date it succeeded): debit receivable, credit cash.
- credit note (issue date): debit revenue per product and tax per rate; credit receivable (amount due
  or refund) or credit balance (balance).
- credit granted / expired (not the credit a credit note put on the balance): credit grants expense
  against the credit balance.

Amounts are computed from the documents' stored totals, so a document balances to the minor unit:
whatever the per-product split leaves over (rounding) goes to the largest product line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import CharField, Subquery, Value
from django.db.models.functions import Concat

from billing.models import CreditEntry
from billing.models.customers import CreditKind
from exports.conf import accounts, revenue_account
from exports.tables import CHUNK, iso, major
from invoicing.models import CreditMethod, CreditNote, Invoice, InvoicePayment, InvoiceStatus
from payments.models import Refund
from payments.models.payments import RefundStatus

HEADER = ["date", "journal", "document_type", "document", "customer_account_id", "ledger_account", "ledger_role",
          "product", "tax_rate", "description", "currency", "debit_minor", "debit", "credit_minor", "credit"]
NO_PRODUCT = "one_off"


@dataclass(frozen=True)
class Posting:
    role: str  # receivable, revenue, tax, cash, credit_balance, credit_grants
    amount: int  # positive: debit; negative: credit
    product: str = ""
    tax_rate: str = ""


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` shared out by `weights`, exactly (the rounding rest on the largest share)."""
    weights = {key: weight for key, weight in weights.items() if weight}
    if not weights:
        return {"": total} if total else {}
    base = sum(weights.values())
    if base == total:
        return dict(weights)
    shares = {key: int(Decimal(total) * weight / base) if base else 0 for key, weight in weights.items()}
    largest = max(weights, key=lambda key: abs(weights[key]))
    shares[largest] += total - sum(shares.values())
    return shares


def _product_of(invoice: Invoice) -> str:
    sub = invoice.subscription
    if sub is None:
        return NO_PRODUCT
    plan = sub.plan
    return plan.product.code if plan.product_id else plan.code


def _tax_rate_label(name: str, percentage) -> str:
    return f"{name} {Decimal(str(percentage or 0)).normalize():f}%".strip()


def _invoice_postings(invoice: Invoice) -> list[Posting]:
    product = _product_of(invoice)
    net = defaultdict(int)
    for line in invoice.lines.all():
        key = product if line.kind != "one_off" or product == NO_PRODUCT else NO_PRODUCT
        net[key] += line.amount - line.discount_amount - (line.tax_amount if line.tax_inclusive else 0)
    taxes = {_tax_rate_label(row.get("name", ""), row.get("percentage")): int(row.get("tax") or 0)
             for row in invoice.tax_breakdown or []}
    postings = [Posting("receivable", invoice.total)]
    postings += [Posting("revenue", -amount, product=key or product)
                 for key, amount in _split(invoice.total - invoice.tax_total, dict(net)).items() if amount]
    postings += [Posting("tax", -amount, tax_rate=key)
                 for key, amount in _split(invoice.tax_total, taxes).items() if amount]
    if invoice.credit_applied:
        postings += [Posting("credit_balance", invoice.credit_applied), Posting("receivable", -invoice.credit_applied)]
    return postings


def _credit_note_postings(note: CreditNote) -> list[Posting]:
    product = _product_of(note.invoice)
    taxes = defaultdict(int)
    for line in note.lines.all():
        taxes[_tax_rate_label(line.tax_name, line.tax_percentage)] += line.tax_amount
    against = "credit_balance" if note.credit_method == CreditMethod.BALANCE else "receivable"
    postings = [Posting("revenue", note.total - note.tax_total, product=product)]
    postings += [Posting("tax", amount, tax_rate=key) for key, amount in _split(note.tax_total, dict(taxes)).items()
                 if amount]
    return [*(p for p in postings if p.amount), Posting(against, -note.total)]


@dataclass(frozen=True)
class Document:
    day: date
    journal: str
    kind: str
    number: str
    customer: int | None
    currency: str
    description: str
    postings: list[Posting]


def _reversed(postings: list[Posting]) -> list[Posting]:
    return [Posting(p.role, -p.amount, p.product, p.tax_rate) for p in postings]


def _void_postings(invoice: Invoice) -> list[Posting]:
    """The issue entry reversed, less what credit notes against its amount due reversed already."""
    postings = _reversed(_invoice_postings(invoice))
    for note in (CreditNote.objects.filter(invoice=invoice, credit_method=CreditMethod.AMOUNT_DUE)
                 .select_related("invoice__subscription__plan__product").prefetch_related("lines")):
        postings += _reversed(_credit_note_postings(note))
    net = defaultdict(int)  # one line per account, product and rate
    for p in postings:
        net[(p.role, p.product, p.tax_rate)] += p.amount
    return [Posting(role, amount, product, rate) for (role, product, rate), amount in net.items() if amount]


def documents(start: date, end: date) -> Iterator[Document]:
    invoices = (Invoice.objects.exclude(status=InvoiceStatus.DRAFT).select_related("subscription__plan__product")
                .defer("customer_snapshot", "operator_snapshot", "tax_note", "memo").prefetch_related("lines"))
    for inv in invoices.filter(issue_date__range=(start, end)).order_by("issue_date", "id").iterator(CHUNK):
        yield Document(inv.issue_date, "sales", "invoice", inv.number, inv.account_id, inv.currency,
                       f"Invoice {inv.number}", _invoice_postings(inv))
    voided = invoices.filter(status=InvoiceStatus.VOID, voided_at__date__range=(start, end))
    for inv in voided.order_by("voided_at", "id").iterator(CHUNK):
        yield Document(inv.voided_at.date(), "sales", "invoice_void", inv.number, inv.account_id, inv.currency,
                       f"Void of invoice {inv.number}", _void_postings(inv))
    notes = (CreditNote.objects.filter(issue_date__range=(start, end))
             .select_related("invoice__subscription__plan__product").prefetch_related("lines"))
    for note in notes.order_by("issue_date", "id").iterator(CHUNK):
        yield Document(note.issue_date, "sales", "credit_note", note.number, note.account_id, note.currency,
                       f"Credit note {note.number} on {note.invoice.number}: {note.reason}"[:300],
                       _credit_note_postings(note))
    receipts = InvoicePayment.objects.filter(recorded_at__date__range=(start, end)).select_related("invoice")
    for paid in receipts.order_by("recorded_at", "id").iterator(CHUNK):
        yield Document(paid.recorded_at.date(), "bank", "payment", paid.reference, paid.account_id,
                       paid.invoice.currency, f"Payment on {paid.invoice.number} ({paid.source})",
                       [Posting("cash", paid.amount), Posting("receivable", -paid.amount)])
    refunds = (Refund.objects.filter(status=RefundStatus.SUCCEEDED, succeeded_at__date__range=(start, end))
               .select_related("payment__invoice"))
    for refund in refunds.order_by("succeeded_at", "id").iterator(CHUNK):
        yield Document(refund.succeeded_at.date(), "bank", "refund", refund.reference, refund.account_id,
                       refund.currency, f"Refund on {refund.payment.invoice.number}",
                       [Posting("receivable", refund.amount), Posting("cash", -refund.amount)])
    # A credit note to the balance grants credit too ("Credit note CN-…"): its own entry posts it.
    from_notes = (CreditNote.objects.filter(credit_method=CreditMethod.BALANCE)
                  .annotate(label=Concat(Value("Credit note "), "number", output_field=CharField())).values("label"))
    credits = (CreditEntry.objects.filter(kind__in=(CreditKind.GRANT, CreditKind.EXPIRY),
                                          created_at__date__range=(start, end))
               .exclude(kind=CreditKind.GRANT, reason__in=Subquery(from_notes)))
    for entry in credits.order_by("created_at", "id").iterator(CHUNK):
        grant = entry.kind == CreditKind.GRANT  # a grant is positive, an expiry negative
        yield Document(entry.created_at.date(), "misc", f"credit_{entry.kind}", f"CREDIT-{entry.pk}",
                       entry.account_id, entry.currency,
                       f"Credit {'granted' if grant else 'expired'}: {entry.reason}"[:300],
                       [Posting("credit_grants", entry.amount), Posting("credit_balance", -entry.amount)])


def rows(start: date, end: date) -> Iterator[list]:
    names = accounts()
    for doc in documents(start, end):
        for p in doc.postings:
            ledger = revenue_account(p.product) if p.role == "revenue" else names[p.role]
            debit, credit = (p.amount, 0) if p.amount > 0 else (0, -p.amount)
            yield [iso(doc.day), doc.journal, doc.kind, doc.number, doc.customer or "", ledger, p.role, p.product,
                   p.tax_rate, doc.description, doc.currency, debit, major(debit, doc.currency), credit,
                   major(credit, doc.currency)]
