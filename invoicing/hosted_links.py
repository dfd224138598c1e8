"""Signed links to an invoice's hosted page: the page a customer opens from an email, without signing
in, to read the invoice, download its PDF and pay it.

The token names the invoice and its account and is signed with the project's SECRET_KEY under its
own salt, so it cannot be forged or turned into another invoice's link. It carries no expiry of its
own: the page is valid while the invoice is open, and the view decides that from the invoice's state
at each visit. The page itself lives at `HOSTED_INVOICE_PATH` + token + "/" (the console serves it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

HOSTED_INVOICE_PATH = "/invoices/hosted/"
_SALT = "invoicing.hosted-invoice"


@dataclass(frozen=True)
class HostedInvoiceRef:
    invoice_id: int
    account_id: int


def hosted_invoice_token(*, invoice_id: int, account_id: int) -> str:
    return signing.Signer(salt=_SALT).sign_object({"i": invoice_id, "a": account_id}, compress=False)


def hosted_invoice_url(invoice) -> str:
    """The absolute link put in emails: SITE_URL + the hosted page's path."""
    token = hosted_invoice_token(invoice_id=invoice.pk, account_id=invoice.account_id)
    return f"{settings.SITE_URL}{HOSTED_INVOICE_PATH}{token}/"


def hosted_invoice_read(token: str) -> HostedInvoiceRef | None:
    """The invoice a token names, or None for a token that is not ours (tampered, truncated, foreign)."""
    try:
        value = signing.Signer(salt=_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict):
        return None
    invoice_id, account_id = value.get("i"), value.get("a")
    if not isinstance(invoice_id, int) or not isinstance(account_id, int):
        return None
    return HostedInvoiceRef(invoice_id=invoice_id, account_id=account_id)
