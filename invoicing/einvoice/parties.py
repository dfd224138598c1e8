"""Seller and buyer of an e-invoice: the one place the e-invoice reads them.

Today from what finalization froze on the invoice (`operator_snapshot`, `customer_snapshot`) and the
operator's settings; the operator's legal identity (registration id, IBAN, BIC) is read by the names
below while it has no home of its own. Re-point `invoice_parties` at `invoicing.legal.invoice_parties`
once that exists: nothing else in the e-invoice reads a party.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings as django_settings
from stdnum.eu import vat

from billing import conf as billing_conf
from invoicing import conf
from invoicing.einvoice.model import Address, Party
from invoicing.taxes import has_valid_eu_vat_number, is_eu


@dataclass(frozen=True)
class Parties:
    seller: Party
    buyer: Party
    iban: str = ""  # BT-84, where the buyer pays by transfer
    bic: str = ""  # BT-86


def invoice_parties(invoice) -> Parties:
    operator = invoice.operator_snapshot or conf.operator()
    customer = invoice.customer_snapshot or {}
    seller_country = (operator.get("country") or billing_conf.settings.OPERATOR_COUNTRY or "").upper()
    seller = Party(
        name=operator.get("name") or billing_conf.settings.OPERATOR_NAME,
        address=Address(line1=operator.get("address", ""), country=seller_country),
        vat_id=vat_id(operator.get("tax_id", ""), seller_country),
        legal_id=getattr(django_settings, "OPERATOR_REGISTRATION_ID", ""),
        legal_id_scheme="0002" if seller_country == "FR" else "",  # SIREN
    )
    buyer_country = (customer.get("country") or "").upper()
    tax_id = customer.get("tax_id", "")
    buyer_vat = vat_id(tax_id, buyer_country) if is_eu(buyer_country) else ""
    buyer = Party(
        name=customer.get("name") or invoice.account.name,
        address=Address(line1=customer.get("address_line1", ""), line2=customer.get("address_line2", ""),
                        city=customer.get("city", ""), postal_code=customer.get("postal_code", ""),
                        region=customer.get("region", ""), country=buyer_country),
        vat_id=buyer_vat,
        legal_id="" if buyer_vat else tax_id,  # a tax number that is no EU VAT id (a US EIN ...)
        email=customer.get("email", ""),
    )
    return Parties(seller, buyer, iban=getattr(django_settings, "OPERATOR_IBAN", ""),
                   bic=getattr(django_settings, "OPERATOR_BIC", ""))


def vat_id(tax_id: str, country: str) -> str:
    """An EU VAT number with its country prefix (EN 16931 BR-CO-09), or "" when it is none."""
    if not tax_id or not country or not has_valid_eu_vat_number(tax_id, country):
        return ""
    number = vat.compact(tax_id)
    if vat.is_valid(number):
        return number
    return ("EL" if country == "GR" else country) + number
