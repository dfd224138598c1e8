"""Costs for the usage screens, priced by invoicing's engine (one pricing engine, not two).

The plan's `ChargeTerms` become an `invoicing.pricing.Charge` through invoicing's own
adapter, and the amount is rounded once, half up, to minor units, as on an invoice.
"""

from __future__ import annotations

from decimal import Decimal

from invoicing.adapters import charge_from_terms
from invoicing.pricing import price_one


def usage_cost(terms, quantity: Decimal) -> int:
    """What `quantity` units of a metric cost in the period, in minor units of `terms.currency`
    (capped as an invoice line is, at invoicing.pricing.money.MAX_USAGE_AMOUNT)."""
    if terms is None or quantity <= 0:
        return 0
    return price_one(charge_from_terms(terms), quantity, terms.currency)
