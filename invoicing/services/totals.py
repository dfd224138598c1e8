"""Discounts, tax and totals of an invoice, from its lines: the one place they are computed.

Here too an invoice whose subtotal or total would pass MAX_INVOICE_AMOUNT is refused
(`AmountTooLarge`, 422) before anything is written: its columns could not hold what is
derived from it (pricing/money.py has the bounds).
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from billing.errors import AmountTooLarge
from invoicing.models import Invoice, InvoiceDiscount, InvoiceLine
from invoicing.taxes import TaxTreatment, line_tax
from pricing import Coupon, allocate, coupon_discounts
from pricing.money import MAX_INVOICE_AMOUNT, amount_label


def recompute(invoice: Invoice, lines: list[InvoiceLine], discounts: list[InvoiceDiscount],
              treatment: TaxTreatment) -> None:
    """Set every derived amount on the invoice, its lines and discounts (the caller saves them)."""
    subtotal = sum(line.amount for line in lines)
    coupons = tuple(Coupon(d.code or "discount", percent_off=d.percent_off, amount_off=d.amount_off)
                    for d in discounts)
    for discount, taken in zip(discounts, coupon_discounts(coupons, subtotal), strict=True):
        discount.amount = taken.amount
    discount_total = sum(d.amount for d in discounts)
    shares = allocate([line.amount for line in lines], discount_total)
    breakdown: OrderedDict[tuple, dict] = OrderedDict()
    exclusive_tax = 0
    for line, share in zip(lines, shares, strict=True):
        line.discount_amount = share
        line.tax_rate_id = treatment.rate_id
        line.tax_name = treatment.name
        line.tax_percentage = treatment.percentage
        line.tax_inclusive = treatment.inclusive
        taxable = line.amount - share
        line.tax_amount = line_tax(taxable, Decimal(treatment.percentage), treatment.inclusive)
        if not treatment.inclusive:
            exclusive_tax += line.tax_amount
        if treatment.kind != "none":
            key = (treatment.name, str(treatment.percentage), treatment.inclusive, treatment.kind)
            entry = breakdown.setdefault(key, {"name": treatment.name, "percentage": str(treatment.percentage),
                                               "inclusive": treatment.inclusive, "kind": treatment.kind,
                                               "taxable": 0, "tax": 0})
            entry["taxable"] += taxable - (line.tax_amount if treatment.inclusive else 0)
            entry["tax"] += line.tax_amount
    total = subtotal - discount_total + exclusive_tax
    bounded(max(subtotal, total, key=abs), invoice.currency)
    invoice.subtotal = subtotal
    invoice.discount_total = discount_total
    invoice.tax_total = sum(line.tax_amount for line in lines)
    invoice.total = total
    invoice.tax_breakdown = list(breakdown.values())
    invoice.tax_note = treatment.note
    invoice.amount_due = max(0, invoice.total - invoice.credit_applied - invoice.credited_total - invoice.amount_paid)


LINE_TAX_FIELDS = ["discount_amount", "tax_rate_id", "tax_name", "tax_percentage", "tax_inclusive", "tax_amount"]
LINE_TAX_COLUMNS = ["discount_amount", "tax_rate", "tax_name", "tax_percentage", "tax_inclusive", "tax_amount"]


def totals_recompute(invoice, lines: list, discounts: list, treatment: TaxTreatment) -> tuple[list, list]:
    """`recompute` a draft in memory and return the lines and discounts whose stored values changed, for
    the caller to write: `refresh_totals` for one draft, the set-based finalization for a chunk."""
    before_lines = [tuple(getattr(line, f) for f in LINE_TAX_FIELDS) for line in lines]
    before_discounts = [d.amount for d in discounts]
    recompute(invoice, lines, discounts, treatment)
    changed_lines = [line for line, old in zip(lines, before_lines, strict=True)
                     if tuple(getattr(line, f) for f in LINE_TAX_FIELDS) != old]
    changed_discounts = [d for d, old in zip(discounts, before_discounts, strict=True) if d.amount != old]
    return changed_lines, changed_discounts


def bounded(amount: int, currency: str) -> None:
    """Nothing, unless `amount` (an invoice's subtotal or total) passes MAX_INVOICE_AMOUNT either way."""
    if abs(amount) <= MAX_INVOICE_AMOUNT:
        return
    message = (f"The invoice would total {amount_label(amount, currency)}, more than one invoice may "
               f"({amount_label(MAX_INVOICE_AMOUNT, currency)}): bill less on it.")
    raise AmountTooLarge(message, fields={"lines": [message]})
