"""The invoice's tax decision (invoicing/taxes.py) as an EN 16931 VAT category (UNCL 5305) with the
exemption reason and its VATEX code where the category needs one."""

from __future__ import annotations

from decimal import Decimal

from invoicing.einvoice.model import VatCategory
from invoicing.taxes import EXEMPT, NONE, RATE, REVERSE_CHARGE, is_eu

EXPORT = "export"  # a treatment kind of its own once invoicing/taxes.py decides exports by name
ZERO = Decimal(0)


def vat_category(*, kind: str, percentage: Decimal, note: str, seller_vat_id: str, buyer_country: str) -> VatCategory:
    if kind == RATE:
        return VatCategory("S", percentage) if percentage > 0 else VatCategory("Z", ZERO)
    if kind == REVERSE_CHARGE:
        return VatCategory("AE", ZERO, note or "Reverse charge", "VATEX-EU-AE")
    if kind == EXEMPT:
        return VatCategory("E", ZERO, note or "Exempt from VAT")
    if kind in (EXPORT, NONE) and seller_vat_id and buyer_country and not is_eu(buyer_country):
        return VatCategory("G", ZERO, note or "Export outside the EU", "VATEX-EU-G")
    # No VAT charged and no export: outside the scope of VAT. EN 16931 then wants no seller VAT id
    # (BR-O-02), so an operator with one billing an EU buyer without a rate fails the rules: a missing
    # tax rate, which the e-invoice must not hide.
    return VatCategory("O", None, note or "Not subject to VAT", "VATEX-EU-O")
