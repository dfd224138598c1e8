"""The tax ids a customer may give on its billing profile, each checked offline with python-stdnum (format and
check digits; no VIES or other online lookup, so a check never waits on a tax authority).

The type names are Stripe's (`eu_vat`, `gb_vat`, ...). A type not listed here is stored as given, unchecked:
the API took any type before these checks existed, and the list only grows.
"""

from __future__ import annotations

from types import ModuleType

from django.utils.translation import gettext_lazy as _
from stdnum.au import abn
from stdnum.ca import bn
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.gb import vat as gb_vat
from stdnum.no import mva
from stdnum.us import ein

from billing.errors import ValidationFailed

# type: (label, stdnum module, example shown when the number is refused)
TAX_ID_TYPES: dict[str, tuple[str, ModuleType, str]] = {
    "eu_vat": (_("EU VAT number"), eu_vat, "FR40303265045"),
    "gb_vat": (_("UK VAT number"), gb_vat, "GB980780684"),
    "ch_vat": (_("Swiss VAT number"), ch_vat, "CHE-113.552.189 MWST"),
    "no_vat": (_("Norwegian VAT number"), mva, "NO995525828MVA"),
    "us_ein": (_("US EIN"), ein, "04-2103594"),
    "ca_bn": (_("Canadian business number"), bn, "123456782"),
    "au_abn": (_("Australian ABN"), abn, "51 824 753 556"),
}

# stdnum drops these countries' prefixes; invoices print VAT numbers with them.
PREFIXES = {"gb_vat": "GB", "no_vat": "NO"}


def tax_id_type_choices() -> list[tuple[str, str]]:
    return [(code, label) for code, (label, _module, _example) in TAX_ID_TYPES.items()]


def tax_id_checked(*, tax_id: str, tax_id_type: str, country: str = "") -> str:
    """The number as stored (compact, with its country prefix for an EU VAT number), or `ValidationFailed` naming
    `tax_id`. An EU VAT number typed without its prefix is read with the billing country's (EL for Greece)."""
    if not tax_id or tax_id_type not in TAX_ID_TYPES:
        return tax_id
    label, module, example = TAX_ID_TYPES[tax_id_type]
    candidates = [tax_id]
    if module is eu_vat and country and not tax_id.strip()[:2].isalpha():
        candidates.append(("EL" if country.upper() == "GR" else country.upper()) + tax_id)
    reason = ""
    for candidate in candidates:  # the prefixed one last: its reason is the one that tells
        try:
            number = module.validate(candidate)
        except NumberInvalid as exc:
            reason = exc.message
        else:
            prefix = PREFIXES.get(tax_id_type, "")
            return number if number.startswith(prefix) else prefix + number
    raise ValidationFailed({"tax_id": f"This is not a valid {label}: {reason.rstrip('.').lower()} "
                                      f"(for example {example})."})
