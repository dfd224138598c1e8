"""One EN 16931 document from a finalized invoice or a credit note: `einvoice_document`. Both
writers (CII, UBL) read what is built here and nothing else, so their totals cannot differ.

Reads the invoice's lines and discounts once (prefetched ones are used as they are) and the unit
codes of the metrics billed in one query: the bill run renders thousands of these.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import BillableMetric
from billing.units import UNIT, unit_code_for
from invoicing.einvoice.model import (
    CREDIT_NOTE,
    INVOICE,
    Allowance,
    Document,
    Line,
    Payment,
    Totals,
    VatBreakdown,
    VatCategory,
)
from invoicing.einvoice.parties import Parties, credit_note_parties, invoice_parties
from invoicing.einvoice.vat import vat_category
from invoicing.models import CollectionMethod, CreditNote, Invoice, InvoiceStatus
from invoicing.taxes import NONE
from pricing.lines import LineKind
from pricing.money import to_major

PRICE_QUANTUM = Decimal("0.000001")  # a unit price keeps at most 6 decimals (pricing/money.py)
BANK_CARD = "48"
CREDIT_TRANSFER = "30"
SEPA_CREDIT_TRANSFER = "58"


class NotAnEInvoice(ValueError):
    """A draft (no number, nothing legal yet) has no e-invoice."""


def einvoice_document(document: Invoice | CreditNote) -> Document:
    if isinstance(document, CreditNote):
        return credit_note_document(document)
    return invoice_document(document)


def invoice_document(invoice: Invoice) -> Document:
    if invoice.status == InvoiceStatus.DRAFT or not invoice.number:
        raise NotAnEInvoice(f"invoice {invoice.pk} is a draft")
    currency = invoice.currency
    major = lambda minor: to_major(minor, currency)  # noqa: E731
    lines = sorted(invoice.lines.all(), key=lambda line: (line.position, line.pk))
    parties = invoice_parties(invoice)
    category = _category(invoice, parties, lines[0].tax_percentage if lines else Decimal(0))
    parties = _without_buyer_vat_id(parties) if category.code == "O" else parties
    units = _unit_codes(line.metric_code for line in lines)
    inclusive = any(line.tax_inclusive for line in lines)
    rows = []
    for index, line in enumerate(lines, start=1):
        # Prices that include tax: EN 16931 speaks net amounts, so the line is what remains once its
        # tax and its share of the coupons are taken off (the coupons then are no allowance of their own).
        net = line.amount - line.discount_amount - line.tax_amount if inclusive else line.amount
        quantity, price = _quantity_and_price(major(net), Decimal(line.quantity), line.unit_price)
        rows.append(Line(
            id=str(index), name=line.description[:300], quantity=quantity,
            unit_code=units.get(line.metric_code, UNIT) if line.kind in _METERED else UNIT,
            net_amount=major(net), net_price=price, vat=category,
            period_start=_day(line.period_start), period_end=_last_day(line.period_end),
            note=(f"Includes a discount of {major(line.discount_amount)} {currency}"
                  if inclusive and line.discount_amount else "")))
    allowances = () if inclusive else tuple(
        Allowance(amount=major(d.amount), reason=(d.description or d.code or "Discount")[:300], vat=category)
        for d in sorted(invoice.discounts.all(), key=lambda d: (d.position, d.pk)) if d.amount)
    line_total = sum((row.net_amount for row in rows), Decimal(0))
    allowance_total = sum((a.amount for a in allowances), Decimal(0))
    tax_exclusive = line_total - allowance_total
    tax_total = major(invoice.tax_total)
    totals = Totals(
        line_total=line_total, allowance_total=allowance_total, tax_exclusive=tax_exclusive, tax_total=tax_total,
        grand_total=tax_exclusive + tax_total,
        prepaid=major(invoice.credit_applied + invoice.credited_total + invoice.amount_paid),
        due=major(invoice.amount_due))
    return Document(
        type_code=INVOICE, number=invoice.number, issue_date=invoice.issue_date, currency=currency,
        seller=parties.seller, buyer=parties.buyer, lines=tuple(rows), allowances=allowances,
        vat_breakdown=(VatBreakdown(taxable=tax_exclusive, tax=tax_total, category=category),),
        totals=totals, payment=_payment(invoice, parties), due_date=invoice.due_date,
        period_start=_day(invoice.period_start), period_end=_last_day(invoice.period_end),
        notes=tuple(n for n in (invoice.memo,) if n))


def credit_note_document(note: CreditNote) -> Document:
    """A credit note: its lines as amounts credited (net of tax), against its invoice (BT-25)."""
    invoice = note.invoice
    currency = note.currency
    major = lambda minor: to_major(minor, currency)  # noqa: E731
    lines = sorted(note.lines.all(), key=lambda line: line.pk)
    parties = credit_note_parties(note)
    category = _category(invoice, parties, lines[0].tax_percentage if lines else Decimal(0))
    parties = _without_buyer_vat_id(parties) if category.code == "O" else parties
    rows = []
    for index, line in enumerate(lines, start=1):
        net = line.amount - line.tax_amount if line.tax_inclusive else line.amount
        rows.append(Line(id=str(index), name=line.description[:300], quantity=Decimal(1), unit_code=UNIT,
                         net_amount=major(net), net_price=major(net), vat=category))
    line_total = sum((row.net_amount for row in rows), Decimal(0))
    tax_total = major(note.tax_total)
    totals = Totals(line_total=line_total, allowance_total=Decimal(0), tax_exclusive=line_total,
                    tax_total=tax_total, grand_total=line_total + tax_total, prepaid=Decimal(0),
                    due=line_total + tax_total)
    return Document(
        type_code=CREDIT_NOTE, number=note.number, issue_date=note.issue_date, currency=currency,
        seller=parties.seller, buyer=parties.buyer, lines=tuple(rows), allowances=(),
        vat_breakdown=(VatBreakdown(taxable=line_total, tax=tax_total, category=category),), totals=totals,
        preceding_number=invoice.number or "", preceding_date=invoice.issue_date, notes=(note.reason,))


_METERED = {LineKind.USAGE, LineKind.LATE_USAGE}


def _category(invoice: Invoice, parties: Parties, percentage) -> VatCategory:
    decided = invoice.tax_breakdown[0] if invoice.tax_breakdown else {}
    return vat_category(kind=decided.get("kind", NONE), percentage=Decimal(str(decided.get("percentage", percentage))),
                        note=invoice.tax_note, seller_vat_id=parties.seller.vat_id,
                        buyer_country=parties.buyer.address.country)


def _without_buyer_vat_id(parties: Parties) -> Parties:
    """Outside the scope of VAT, EN 16931 wants no VAT ids (BR-O-02). The buyer's is dropped; the
    seller's is kept: a seller with one charging no VAT to an EU buyer lacks a tax rate, and the
    e-invoice must fail the rules for it rather than pass."""
    return replace(parties, buyer=replace(parties.buyer, vat_id=""))


def _unit_codes(metric_codes) -> dict[str, str]:
    codes = {code for code in metric_codes if code}
    if not codes:
        return {}
    found = dict(BillableMetric.objects.filter(code__in=codes).values_list("code", "unit_code"))
    return {code: found.get(code) or unit_code_for("") for code in codes}


def _quantity_and_price(net: Decimal, quantity: Decimal, unit_price) -> tuple[Decimal, Decimal]:
    """BT-129 and BT-146: the price is never negative (BR-27), so a line that credits has a negative
    quantity. The price is the line's own where quantity x price makes its amount, else the average
    (tiers, packages, proration): the line's net amount is what counts."""
    if not quantity:
        return (Decimal(1).copy_sign(net) if net else Decimal(0)), abs(net) if net else Decimal(unit_price or 0)
    quantity = abs(quantity).copy_sign(net) if net else abs(quantity)
    if unit_price is not None and unit_price >= 0 and abs(quantity) * unit_price == abs(net):
        return quantity, Decimal(unit_price).normalize()
    return quantity, (abs(net) / abs(quantity)).quantize(PRICE_QUANTUM).normalize()


def _payment(invoice: Invoice, parties: Parties) -> Payment | None:
    terms = f"{invoice.net_terms_days} days net" if invoice.net_terms_days is not None else ""
    if invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY:
        return Payment(means_code=BANK_CARD, reference=invoice.number, terms=terms)
    if parties.iban:
        means = SEPA_CREDIT_TRANSFER if invoice.currency == "EUR" else CREDIT_TRANSFER
        return Payment(means_code=means, reference=invoice.payment_reference or invoice.number, iban=parties.iban,
                       bic=parties.bic, account_name=parties.seller.name, terms=terms)
    # A bank transfer to an account the invoice cannot name yet: the terms and due date only.
    return Payment(means_code="", terms=terms) if terms else None


def _day(value: datetime | None) -> date | None:
    return timezone.localtime(value).date() if value else None


def _last_day(end: datetime | None) -> date | None:
    """Periods are half-open [start, end); EN 16931's end date is the last day in it."""
    return (timezone.localtime(end) - timedelta(microseconds=1)).date() if end else None
