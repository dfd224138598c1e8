"""Costs for the usage screens, priced by the one pricing engine (`pricing`), as on an invoice.

The plan's `ChargeTerms` become a `pricing.Charge` through billing's `charge_from_terms`,
and the amount is rounded once, half up, to minor units.
"""

from __future__ import annotations

from decimal import Decimal

from billing.selectors import charge_from_terms
from pricing import price_one


def usage_cost(terms, quantity: Decimal) -> int:
    """What `quantity` units of a metric cost in the period, in minor units of `terms.currency`
    (capped as an invoice line is, at pricing.money.MAX_USAGE_AMOUNT)."""
    if terms is None or quantity <= 0:
        return 0
    return price_one(charge_from_terms(terms), quantity, terms.currency)
