"""The customer as invoicing sees it: read from the catalog's billing profile in one place.

An account without a billing profile is invoiced under its account name, with no
address (so no tax rate matches) — never with invented details.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from billing.models import Account
from billing.selectors import EmailPreferences


@dataclass(frozen=True)
class CustomerDetails:
    account_id: int
    name: str
    email: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    tax_id: str = ""
    tax_id_type: str = ""
    language: str = "en"
    invoice_notes: str = ""
    currency: str = ""
    # How its invoices are collected unless a subscription says otherwise (not legal content: not frozen).
    collection_method: str = "charge_automatically"
    extra: dict = field(default_factory=dict)

    def snapshot(self) -> dict:
        # asdict() without its deep copy: every field but `extra` is a string or the account id
        # (the bill run takes thousands of these).
        return {name: getattr(self, name) for name in _SNAPSHOT_FIELDS}

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(p for p in (self.postal_code, self.city) if p)
        return [p for p in (self.address_line1, self.address_line2, city_line, self.region, self.country) if p]


_SNAPSHOT_FIELDS = tuple(f.name for f in fields(CustomerDetails) if f.name not in ("extra", "collection_method"))


def customer_details(account: Account) -> CustomerDetails:
    return details_from_profile(account, _profile(account))


def details_from_profile(account: Account, profile) -> CustomerDetails:
    """The details of an account with its billing profile already read (None: it has none)."""
    if profile is None:
        return CustomerDetails(account_id=account.pk, name=account.name)
    return CustomerDetails(
        account_id=account.pk,
        name=profile.legal_name or account.name,
        email=profile.email,
        address_line1=profile.address_line1,
        address_line2=profile.address_line2,
        city=profile.city,
        region=profile.state,
        postal_code=profile.postal_code,
        country=(profile.country or "").upper(),
        tax_id=profile.tax_id,
        tax_id_type=profile.tax_id_type,
        language=(profile.preferred_language or "en").split("-")[0].lower(),
        invoice_notes=profile.invoice_notes,
        currency=profile.currency,
        collection_method=profile.collection_method,
    )


def _profile(account: Account):
    try:
        return account.billing_profile
    except AttributeError:  # no profile yet (RelatedObjectDoesNotExist is an AttributeError)
        return None


def email_preferences_of(account_id: int) -> EmailPreferences:
    """The account's email preferences as its invoicing settings keep them: billing's contacts lookup
    (`billing.selectors.contacts`) reads them through this, registered by InvoicingConfig.ready."""
    from invoicing.models import CustomerInvoicing

    prefs = CustomerInvoicing.objects.filter(account_id=account_id).values_list(
        "extra_recipients", "email_opt_outs").first()
    if prefs is None:
        return EmailPreferences()
    extra, opt_outs = prefs
    return EmailPreferences(extra_recipients=tuple(extra or ()), opted_out=frozenset(opt_outs or ()))
