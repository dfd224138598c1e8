"""Builders for invoicing tests (call them inside operator scope)."""

from datetime import UTC, datetime
from decimal import Decimal

from invoicing.services import invoice_create_draft
from pricing import InvoiceInput, OneOff, price_invoice


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def draft(account, *items, currency="USD", coupons=(), **kwargs):
    """A draft with one-off lines given as (description, quantity, unit price) tuples."""
    items = items or (("Consulting", 1, "100.00"),)
    priced = price_invoice(InvoiceInput(currency=currency, one_offs=tuple(
        OneOff(d, Decimal(str(q)), Decimal(str(p))) for d, q, p in items)))
    return invoice_create_draft(account=account, currency=currency, priced=priced, coupons=tuple(coupons), **kwargs)


def profile(account, **fields):
    from billing.services import billing_profile_update

    defaults = {"legal_name": f"{account.name} SAS", "email": f"billing-{account.pk}@example.com",
                "address_line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
    return billing_profile_update(account=account, **{**defaults, **fields})


def subscription(account, code="inv-basic", flat=10_000, **kwargs):
    from billing.models import Plan
    from billing.services import subscription_create
    from tests.billing.catalog_factories import plan

    found = Plan.objects.filter(code=code).first() or plan(code=code, flat=flat)
    return subscription_create(account=account, plan=found, **kwargs)
