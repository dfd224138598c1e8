"""Money arithmetic of the pricing engine: Decimal in, integer minor units out.

Conversions live in `pricing.money` (currency exponents from CLDR through babel:
USD 2, JPY 0, BHD 3); this module re-exports them under the engine's names.
Amounts are rounded once per line, half up, to the minor unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pricing.money import currency_exponent, round_to_minor, to_major

UNIT_PRICE_PLACES = 6
UNIT_PRICE_QUANTUM = Decimal(1).scaleb(-UNIT_PRICE_PLACES)
FACTOR_QUANTUM = Decimal("1e-10")  # proration factors: exact to far below a minor unit
# The most one charge's usage lines (or its late-usage lines) cost on one invoice, in minor units:
# ten to the sixteenth (USD 100 trillion; LBP, at 0 digits and about 90,000 to the dollar, over
# USD 100 million). A larger amount is billed at this cap and the line says so (`Line.capped_from`).
# It exists so that no volume of accepted usage, and no number of groups, can make an amount that
# the invoice's 64-bit columns cannot hold: a plan's usage charges, twice, plus tax at up to
# 1,000 %, stay below 2^63 for up to 40 charges.
MAX_USAGE_AMOUNT = 10**16

# In the engine a priced amount is rounded, never refused: `to_minor` here is `pricing.money.round_to_minor`.
# (What a person types goes through `pricing.money.to_minor`, which refuses digits the currency lacks.)
to_minor = round_to_minor

__all__ = ["FACTOR_QUANTUM", "UNIT_PRICE_PLACES", "UNIT_PRICE_QUANTUM", "currency_exponent", "half_up", "to_major",
           "to_minor", "unit_price", "capped_minor", "MAX_USAGE_AMOUNT"]


def capped_minor(amount: Decimal, currency: str, cap: int) -> tuple[int, bool]:
    """`to_minor(amount)`, or `cap` when that is more: (minor units, whether capped)."""
    if Decimal(amount).scaleb(currency_exponent(currency)) > cap:  # compared before rounding: no overflow
        return cap, True
    return to_minor(amount, currency), False


def unit_price(value) -> Decimal:
    """A unit price with at most 6 decimal places (refuses more rather than rounding silently)."""
    try:
        price = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not price.is_finite():
        raise ValueError(f"not a finite unit price: {value!r}")
    if price != price.quantize(UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_UP):
        raise ValueError(f"unit price {value} has more than {UNIT_PRICE_PLACES} decimal places")
    return price.quantize(UNIT_PRICE_QUANTUM)


def half_up(value: Decimal, quantum: Decimal = Decimal(1)) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)
