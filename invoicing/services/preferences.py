"""Per-account invoicing preferences: net terms, tax exemption, email opt-outs, extra contacts; and the console's
billing details, which change them with the billing profile in one go."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from billing.audit import audit_record, snapshot
from billing.errors import ValidationFailed
from billing.models import Account, BillingProfile
from billing.services import billing_profile_update
from invoicing.models import CustomerInvoicing, EmailType

FIELDS = ("net_terms_days", "tax_exempt", "tax_exempt_reason", "email_opt_outs", "extra_recipients")


@transaction.atomic
def customer_invoicing_update(*, account: Account, **changes) -> CustomerInvoicing:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed({name: "Unknown field." for name in sorted(unknown)})
    errors = {}
    if "net_terms_days" in changes and changes["net_terms_days"] is not None:
        days = changes["net_terms_days"]
        if not isinstance(days, int) or not 0 <= days <= 365:
            errors["net_terms_days"] = "Must be a whole number of days between 0 and 365."
    if "email_opt_outs" in changes:
        bad = sorted(set(changes["email_opt_outs"] or []) - set(EmailType.values))
        if bad:
            errors["email_opt_outs"] = f"Unknown email type(s): {', '.join(bad)}."
    for address in changes.get("extra_recipients") or []:
        try:
            validate_email(address)
        except ValidationError:
            errors["extra_recipients"] = f"Not an email address: {address}."
    if errors:
        raise ValidationFailed(errors)
    prefs, _ = CustomerInvoicing.objects.select_for_update().get_or_create(account=account)
    before = snapshot(prefs)
    for name, value in changes.items():
        setattr(prefs, name, list(dict.fromkeys(value or [])) if name in ("email_opt_outs", "extra_recipients")
                else value)
    prefs.save()
    audit_record(action="customer_invoicing.updated", instance=prefs, before=before, after=snapshot(prefs))
    return prefs


@transaction.atomic
def billing_details_update(*, account: Account, profile: dict, invoicing: dict) -> tuple[BillingProfile,
                                                                                        CustomerInvoicing]:
    """The billing profile (`billing_profile_update`) and the invoicing preferences (`customer_invoicing_update`)
    together, as the console's billing details form sends them: each audited by its own service, every field's
    error reported at once, and nothing written unless both are valid."""
    errors: dict = {}
    saved_profile = saved_prefs = None
    try:
        with transaction.atomic():
            saved_profile = billing_profile_update(account=account, **profile)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    try:
        with transaction.atomic():
            saved_prefs = customer_invoicing_update(account=account, **invoicing)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)  # rolls back the half that was valid
    return saved_profile, saved_prefs
