"""Costs for the usage screens, priced by invoicing's engine (one pricing engine, not two).

The plan's `ChargeTerms` (billing.selectors) become an `invoicing.pricing.Charge`;
the amount is rounded once, half up, to minor units, as on an invoice.
"""

from __future__ import annotations

from decimal import Decimal

from invoicing.pricing import Charge, Tier, price, to_major, to_minor


def charge_from_terms(terms) -> Charge:
    per = terms.package_size if terms.model == "package" else terms.block_size
    return Charge(
        metric_code=terms.metric_code, model=terms.model, unit_price=terms.unit_price, block_size=Decimal(per),
        free_units=Decimal(terms.free_units),
        tiers=tuple(Tier(up_to=t.up_to, unit_price=t.unit_price, flat_fee=to_major(t.flat_fee, terms.currency))
                    for t in terms.tiers),
    )


def usage_cost(terms, quantity: Decimal) -> int:
    """What `quantity` units of a metric cost in the period, in minor units of `terms.currency`."""
    if terms is None or quantity <= 0:
        return 0
    return to_minor(price(charge_from_terms(terms), quantity).amount, terms.currency)
