"""Seller and buyer of an e-invoice: the one place the e-invoice reads them.

They are the parties the PDF prints (`invoicing.legal`: frozen on the invoice or credit note at
finalization, the operator's legal identity included), written in EN 16931's terms.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.eu import vat

from invoicing import legal
from invoicing.einvoice.model import Address, Party
from invoicing.taxes import has_valid_eu_vat_number, is_eu

SIREN_SCHEME, SIRET_SCHEME = "0002", "0009"  # ISO 6523 ICD of French company ids


@dataclass(frozen=True)
class Parties:
    seller: Party
    buyer: Party
    iban: str = ""  # BT-84, where the buyer pays by transfer
    bic: str = ""  # BT-86


def invoice_parties(invoice) -> Parties:
    return _written(legal.invoice_parties(invoice))


def credit_note_parties(note) -> Parties:
    return _written(legal.credit_note_parties(note))


def _written(parties: legal.Parties) -> Parties:
    seller, buyer = parties.seller, parties.buyer
    registration = "".join(seller.registration_id.split())
    scheme = ""
    if seller.country == "FR" and registration.isdigit():
        scheme = {9: SIREN_SCHEME, 14: SIRET_SCHEME}.get(len(registration), "")
    buyer_vat = vat_id(buyer.vat_id, buyer.country) if is_eu(buyer.country) else ""
    return Parties(
        seller=Party(name=seller.name, address=_address(seller), vat_id=vat_id(seller.vat_id, seller.country),
                     legal_id=registration, legal_id_scheme=scheme, legal_form=seller.legal_form),
        buyer=Party(name=buyer.name, address=_address(buyer), vat_id=buyer_vat,
                    legal_id="" if buyer_vat else buyer.vat_id,  # a tax number that is no EU VAT id (a US EIN ...)
                    email=buyer.email),
        iban="".join(seller.iban.split()), bic=seller.bic.strip())


def _address(party: legal.Party) -> Address:
    lines = party.address_lines
    return Address(line1=lines[0] if lines else "", line2=", ".join(lines[1:]), city=party.city,
                   postal_code=party.postal_code, region=party.region, country=party.country)


def vat_id(tax_id: str, country: str) -> str:
    """An EU VAT number with its country prefix (EN 16931 BR-CO-09), or "" when it is none."""
    if not tax_id or not country or not has_valid_eu_vat_number(tax_id, country):
        return ""
    number = vat.compact(tax_id)
    if vat.is_valid(number):
        return number
    return ("EL" if country == "GR" else country) + number
