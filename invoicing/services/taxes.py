"""Tax rates: created, changed and archived through here (admin and API), validated and audited.

A rate is never deleted (invoice lines point at it). Its place (country, region) is fixed; its
percentage and whether it is inclusive are fixed too once a finalized invoice carries it: a new
rate replaces it (`replaces=`), archiving the old one in the same transaction, so no invoice is
ever finalized between the two without a rate.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from billing import tenancy
from billing.audit import audit_record, snapshot
from billing.errors import Conflict, ValidationFailed
from billing.transitions import row_lock
from invoicing.models import TaxRate
from invoicing.selectors import tax_rate_active_at, tax_rate_invoiced

EDITABLE = ("name", "description", "percentage", "inclusive", "is_active")
PLACE = ("country", "region")
# What an invoice line's tax was computed from: fixed once a finalized invoice carries the rate.
TERMS = ("percentage", "inclusive")
MAX_LENGTHS = {"name": 100, "region": 100, "description": 200}
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def tax_rate_fields_clean(fields: dict) -> dict:
    """Validated rate fields, normalised (country upper case, text stripped, percentage a Decimal);
    raises ValidationFailed naming each bad field."""
    errors, cleaned = {}, dict(fields)
    for name, limit in MAX_LENGTHS.items():
        if name not in fields:
            continue
        if not isinstance(fields[name], str):
            errors[name] = "Must be text."
        elif len(fields[name].strip()) > limit:
            errors[name] = f"At most {limit} characters."
        else:
            cleaned[name] = fields[name].strip()
    if "name" in fields and not errors.get("name") and not cleaned["name"]:
        errors["name"] = "This field is required."
    if "country" in fields:
        if not isinstance(fields["country"], str) or not _COUNTRY.match(fields["country"]):
            errors["country"] = "Two letters: the ISO 3166-1 code of the billing address's country, e.g. FR."
        else:
            cleaned["country"] = fields["country"].upper()
    if "percentage" in fields:
        try:
            percentage = Decimal(str(fields["percentage"]))
        except (InvalidOperation, ValueError, TypeError):
            percentage = None
        if (percentage is None or isinstance(fields["percentage"], bool | float) or not percentage.is_finite()
                or not 0 <= percentage <= 100 or percentage != percentage.quantize(Decimal("0.0001"))):
            errors["percentage"] = "A decimal between 0 and 100 with at most 4 decimal places, e.g. \"20\" or \"8.875\"."
        else:
            cleaned["percentage"] = percentage
    for name in ("inclusive", "is_active"):
        if name in fields and not isinstance(fields[name], bool):
            errors[name] = "Must be true or false."
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _require_operator_scope() -> None:
    # Invoice lines are tenant rows: in an account's scope most finalized invoices would be invisible.
    if not tenancy.current().operator:
        raise RuntimeError("tax rate writes run in the operator scope")


def _refuse_second_active(country: str, region: str, excluding: int | None = None) -> None:
    other = tax_rate_active_at(country=country, region=region, excluding=excluding)
    if other is not None:
        place = f"{country}-{region}" if region else country
        raise Conflict(f"Rate {other.pk} ({other.name}) is already active for {place}: pass replaces={other.pk} "
                       "to replace it in one step, or archive it first.",
                       fields={"is_active": [f"Rate {other.pk} is active for {place}."]})


def _archive(rate: TaxRate) -> None:
    before = snapshot(rate)
    rate.is_active = False
    rate.save(update_fields=["is_active"])
    audit_record(action="tax_rate.archived", instance=rate, before=before, after=snapshot(rate))


@transaction.atomic
def tax_rate_create(*, name: str, country: str, percentage, region: str = "", inclusive: bool = False,
                    description: str = "", is_active: bool = True, replaces: TaxRate | None = None) -> TaxRate:
    """A new rate; `replaces` (the active rate of the same place) is archived in the same transaction."""
    _require_operator_scope()
    cleaned = tax_rate_fields_clean({"name": name, "country": country, "region": region, "percentage": percentage,
                                     "inclusive": inclusive, "description": description, "is_active": is_active})
    if replaces is not None:
        replaces = row_lock(TaxRate, replaces)
        if (not replaces.is_active or replaces.country != cleaned["country"]
                or replaces.region.strip().lower() != cleaned["region"].lower()):
            raise ValidationFailed({"replaces": "Must be the active rate of the same country and region."})
        if not cleaned["is_active"]:
            raise ValidationFailed({"is_active": "A replacing rate is active."})
        _archive(replaces)
    if cleaned["is_active"]:
        _refuse_second_active(cleaned["country"], cleaned["region"])
    try:
        with transaction.atomic():  # a concurrent create for the same place loses here, not with a 500
            rate = TaxRate.objects.create(**cleaned)
    except IntegrityError:
        raise Conflict("Another rate became active for this place at the same time; try again.",
                       fields={"is_active": ["Another rate is active for this place."]}) from None
    audit_record(action="tax_rate.created", instance=rate, after=snapshot(rate))
    return rate


@transaction.atomic
def tax_rate_update(*, tax_rate: TaxRate, **fields) -> TaxRate:
    """Change a rate: name and description always; percentage and inclusive until a finalized invoice
    carries it (409, make a new rate); never its place. `is_active=False` archives, `True` restores."""
    _require_operator_scope()
    rate = row_lock(TaxRate, tax_rate)
    cleaned = tax_rate_fields_clean(fields)
    moved = [name for name in PLACE if name in cleaned and cleaned[name] != getattr(rate, name)]
    if moved:
        raise ValidationFailed({name: "A rate's place never changes; create a rate for the other place."
                                for name in moved})
    unknown = sorted(set(cleaned) - set(EDITABLE) - set(PLACE))
    if unknown:
        raise ValidationFailed({name: "Unknown field." for name in unknown})
    changes = {k: v for k, v in cleaned.items() if k in EDITABLE and getattr(rate, k) != v}
    terms = [name for name in TERMS if name in changes]
    if terms and tax_rate_invoiced(rate):
        raise Conflict(f"Rate {rate.pk} is on finalized invoices, so its {' and '.join(terms)} never change: "
                       f"create a new rate with replaces={rate.pk}.",
                       fields={name: ["Fixed: finalized invoices carry this rate."] for name in terms})
    if changes.get("is_active") is True:
        _refuse_second_active(rate.country, rate.region, excluding=rate.pk)
    if not changes:
        return rate
    if changes == {"is_active": False}:
        _archive(rate)
        return rate
    before = snapshot(rate)
    for name, value in changes.items():
        setattr(rate, name, value)
    rate.save(update_fields=list(changes))
    audit_record(action="tax_rate.updated", instance=rate, before=before, after=snapshot(rate))
    return rate


@transaction.atomic
def tax_rate_archive(*, tax_rate: TaxRate) -> TaxRate:
    """Archive a rate (inactive: no new invoice gets it; invoices that have it keep it)."""
    return tax_rate_update(tax_rate=tax_rate, is_active=False)
