"""Which tax applies to a customer, and how much per line.

Chosen from the billing address: an active rate for (country, region), else for
the whole country. Tax-exempt accounts pay none. A business customer with a valid
EU VAT number in another member state than the operator's gets the EU reverse
charge: 0 % with the legal note (Article 196 of Council Directive 2006/112/EC). An EU operator's
customer outside the EU, for whom no rate is set, pays no VAT either: the place of supply of the
services is outside the EU (Articles 44 and 59 of the directive), and the invoice says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop
from stdnum.eu import vat

EXEMPT = "exempt"
REVERSE_CHARGE = "reverse_charge"
RATE = "rate"
EXPORT = "export"
NONE = "none"
# The kinds that print a 0 % line in the tax summary, each with its reason (Invoice.tax_note).
ZERO_RATED = (EXEMPT, REVERSE_CHARGE, EXPORT)

REVERSE_CHARGE_NOTE = gettext_noop("Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).")
EXEMPT_NOTE = gettext_noop("Exempt from tax.")
EXPORT_NOTE = gettext_noop("Export outside the EU — VAT not applicable (place of supply outside the EU, "
                           "Articles 44 and 59 of Council Directive 2006/112/EC).")


@dataclass(frozen=True)
class RateTerms:
    id: int | None
    name: str
    country: str
    region: str
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class TaxPlace:
    country: str
    region: str = ""
    tax_id: str = ""
    exempt: bool = False
    exempt_reason: str = ""


@dataclass(frozen=True)
class TaxTreatment:
    kind: str
    rate_id: int | None = None
    name: str = ""
    percentage: Decimal = Decimal(0)
    inclusive: bool = False
    note: str = ""


def is_eu(country: str) -> bool:
    code = (country or "").lower()
    return code in vat.MEMBER_STATES or code == "el"


def has_valid_eu_vat_number(tax_id: str, country: str) -> bool:
    number = vat.compact(tax_id or "") if tax_id else ""
    if not number:
        return False
    if vat.is_valid(number):
        return True
    prefix = "EL" if country.upper() == "GR" else country.upper()
    return vat.is_valid(prefix + number)


def treatment_for(place: TaxPlace, *, operator_country: str, rates: list[RateTerms]) -> TaxTreatment:
    if place.exempt:
        return TaxTreatment(EXEMPT, note=place.exempt_reason or EXEMPT_NOTE)
    country = (place.country or "").upper()
    if (country and operator_country and is_eu(country) and is_eu(operator_country)
            and country != operator_country.upper() and has_valid_eu_vat_number(place.tax_id, country)):
        return TaxTreatment(REVERSE_CHARGE, name="VAT", note=REVERSE_CHARGE_NOTE)
    region = (place.region or "").strip().lower()
    matches = [r for r in rates if r.country.upper() == country]
    rate = next((r for r in matches if region and r.region.strip().lower() == region), None) \
        or next((r for r in matches if not r.region), None)
    if rate is None:
        if country and operator_country and is_eu(operator_country) and not is_eu(country):
            return TaxTreatment(EXPORT, name="VAT", note=EXPORT_NOTE)
        return TaxTreatment(NONE)
    return TaxTreatment(RATE, rate.id, rate.name, Decimal(rate.percentage), rate.inclusive)


def customer_tax_treatment(details, prefs, *, rates: list[RateTerms], operator_country: str) -> TaxTreatment:
    """The tax of a customer with these billing details (country, region, tax id) and invoicing preferences
    (None, or its exemption): `tax_treatment_for` for one account and `tax_contexts_for_many` for many
    read the inputs their way and decide here."""
    place = TaxPlace(details.country, details.region, details.tax_id, exempt=bool(prefs and prefs.tax_exempt),
                     exempt_reason=prefs.tax_exempt_reason if prefs else "")
    return treatment_for(place, operator_country=operator_country, rates=rates)


def line_tax(taxable: int, percentage: Decimal, inclusive: bool) -> int:
    """Tax on one line, rounded once, half up (away from zero for credits)."""
    if not percentage:
        return 0
    if inclusive:
        raw = Decimal(taxable) * percentage / (Decimal(100) + percentage)
    else:
        raw = Decimal(taxable) * percentage / Decimal(100)
    return int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def active_rates() -> list[RateTerms]:
    from invoicing.models import TaxRate

    return [RateTerms(r.pk, r.name, r.country, r.region, r.percentage, r.inclusive)
            for r in TaxRate.objects.filter(is_active=True)]
