"""Who sells and who buys, as an invoice or a credit note states it: read from the snapshots frozen at
finalization (a draft, which has none yet, reads today's details), for the PDFs and the e-invoices alike.

`invoice_parties(invoice)` and `credit_note_parties(note)` return `Parties`: plain dataclasses, so the
e-invoice code (CII, UBL) reads the same identity the PDF prints. Also here: the late-payment terms an
invoice prints (a French seller's statutory ones when it set none of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel import Locale
from django.utils.translation import gettext, gettext_noop

from invoicing import conf

FRENCH_LATE_PAYMENT_TERMS = gettext_noop(
    "Late payment: penalties at three times the French legal interest rate, and a fixed indemnity of €40 for "
    "recovery costs (Articles L441-10 and D441-5 of the French Commercial Code). No discount for early payment.")
_ADDRESS_LINES = re.compile(r"\s*(?:\n|\s/\s)\s*")


@dataclass(frozen=True)
class Party:
    name: str  # the legal name
    address_lines: tuple[str, ...] = ()  # street lines, without postal code, city or country
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case; "" when unknown
    vat_id: str = ""
    registration_id: str = ""  # SIREN/SIRET, HRB ...; the buyer's is not collected yet
    legal_form: str = ""
    email: str = ""
    iban: str = ""
    bic: str = ""

    def printed_address(self, language: str = "en") -> list[str]:
        """The address as an envelope shows it, the country named in the reader's language."""
        city = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (*self.address_lines, city, self.region, country_name(self.country, language))
                if line]


@dataclass(frozen=True)
class Parties:
    seller: Party
    buyer: Party
    late_payment_terms: str = ""  # the seller's own, as set; see `late_payment_terms()` for what is printed
    footer: str = ""


def country_name(code: str, language: str = "en") -> str:
    if not code:
        return ""
    return Locale.parse(language).territories.get(code.upper(), code.upper())


def seller_from_snapshot(snapshot: dict) -> Party:
    """The operator as frozen on a document; older snapshots have name, address, tax id and country only."""
    address = snapshot.get("address") or ""
    return Party(
        name=snapshot.get("legal_name") or snapshot.get("name") or "",
        address_lines=tuple(line for line in _ADDRESS_LINES.split(address.strip()) if line),
        postal_code=snapshot.get("postal_code") or "", city=snapshot.get("city") or "",
        country=(snapshot.get("country") or "").upper(), vat_id=snapshot.get("tax_id") or "",
        registration_id=snapshot.get("registration_id") or "", legal_form=snapshot.get("legal_form") or "",
        iban=snapshot.get("iban") or "", bic=snapshot.get("bic") or "")


def buyer_from_snapshot(snapshot: dict) -> Party:
    """The customer as frozen on a document (`invoicing.customers.CustomerDetails.snapshot`)."""
    return Party(
        name=snapshot.get("name") or "",
        address_lines=tuple(line for line in (snapshot.get("address_line1"), snapshot.get("address_line2")) if line),
        postal_code=snapshot.get("postal_code") or "", city=snapshot.get("city") or "",
        region=snapshot.get("region") or "", country=(snapshot.get("country") or "").upper(),
        vat_id=snapshot.get("tax_id") or "", email=snapshot.get("email") or "")


def _parties(operator: dict, customer: dict) -> Parties:
    return Parties(seller=seller_from_snapshot(operator), buyer=buyer_from_snapshot(customer),
                   late_payment_terms=operator.get("late_payment_terms") or "", footer=operator.get("footer") or "")


def invoice_parties(invoice) -> Parties:
    """Seller and buyer of an invoice as it states them: frozen at finalization; a draft's are today's."""
    customer = invoice.customer_snapshot
    if not customer:
        from invoicing.customers import customer_details

        customer = customer_details(invoice.account).snapshot()
    return _parties(invoice.operator_snapshot or conf.operator(), customer)


def credit_note_parties(note) -> Parties:
    """Seller and buyer of a credit note: frozen at its issue (notes issued before that read their invoice's)."""
    invoice = note.invoice
    return _parties(note.operator_snapshot or invoice.operator_snapshot or conf.operator(),
                    note.customer_snapshot or invoice.customer_snapshot)


def late_payment_terms(parties: Parties) -> str:
    """What an invoice prints about late payment, in the active language: the seller's own terms, else a
    French seller's statutory ones (Code de commerce: penalties, the €40 indemnity, the early-payment
    discount), else nothing."""
    if parties.late_payment_terms:
        return parties.late_payment_terms
    if parties.seller.country == "FR":
        return gettext(FRENCH_LATE_PAYMENT_TERMS)
    return ""
