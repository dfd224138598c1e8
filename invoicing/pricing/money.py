"""Money arithmetic of the pricing engine: Decimal in, integer minor units out.

Conversions live in `pricing.money` (currency exponents from CLDR through babel:
USD 2, JPY 0, BHD 3); this module re-exports them under the engine's names.
Amounts are rounded once per line, half up, to the minor unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pricing.money import (
    MAX_INVOICE_AMOUNT,
    MAX_LINE_AMOUNT,
    MAX_USAGE_AMOUNT,
    currency_exponent,
    round_to_minor,
    to_major,
)

UNIT_PRICE_PLACES = 6
UNIT_PRICE_QUANTUM = Decimal(1).scaleb(-UNIT_PRICE_PLACES)
FACTOR_QUANTUM = Decimal("1e-10")  # proration factors: exact to far below a minor unit
# What a line, a charge's usage and an invoice may cost (MAX_LINE_AMOUNT, MAX_USAGE_AMOUNT,
# MAX_INVOICE_AMOUNT) is written down, with the reasons, in pricing/money.py.

# In the engine a priced amount is rounded, never refused for its digits: `to_minor` here is
# `pricing.money.round_to_minor`. (What a person types goes through `pricing.money.to_minor`, which refuses
# digits the currency lacks.)
to_minor = round_to_minor

__all__ = ["FACTOR_QUANTUM", "UNIT_PRICE_PLACES", "UNIT_PRICE_QUANTUM", "currency_exponent", "half_up", "to_major",
           "to_minor", "unit_price", "capped_minor", "MAX_INVOICE_AMOUNT", "MAX_LINE_AMOUNT", "MAX_USAGE_AMOUNT"]


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
