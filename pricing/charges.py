"""The four charge models, unrounded: the line rounds once, afterwards.

Included free units come off the quantity first; the model prices the rest.
`block_size` N makes every unit price a price per N units (standard and tiers:
fractions of a block count as fractions; package: a started package counts whole).
Tiers are inclusive of their upper bound (as Stripe's `up_to`): with tiers
[up to 100 at 1.00, above at 0.50], unit 100 is in the first tier, unit 101 in
the second.

Quantities come from metering, which bounds a period's quantity by
MAX_PERIOD_QUANTITY (`pricing.quantities`: 10^17, 12 decimals: 30 digits). A unit
price has at most 20 digits (14 + 6), so a product has at most 50: the engine
computes in `pricing.quantities.CONTEXT` (64 digits), exact for
every quantity metering gives, and never failing on a larger one (which is priced as
MAX_PERIOD_QUANTITY). What the line may cost is capped in the engine (`MAX_USAGE_AMOUNT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext

from .quantities import CONTEXT, MAX_PERIOD_QUANTITY
from .terms import Charge, ChargeModel, Tier

ZERO = Decimal(0)


@dataclass(frozen=True)
class TierPart:
    """One tier's share of a quantity: shown on the invoice, stored on the line."""

    tier: int  # 1-based
    from_unit: Decimal  # exclusive lower bound
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal  # unrounded

    def as_dict(self) -> dict:
        return {
            "tier": self.tier,
            "from": str(self.from_unit),
            "up_to": None if self.up_to is None else str(self.up_to),
            "quantity": str(self.quantity),
            "unit_price": str(self.unit_price),
            "flat_fee": str(self.flat_fee),
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class ChargeResult:
    quantity: Decimal  # as measured
    billable_quantity: Decimal  # after included units
    amount: Decimal  # unrounded, major units
    unit_price: Decimal | None  # standard and package; None when tiers decide
    tiers: tuple[TierPart, ...] = ()


def billable(charge: Charge, quantity: Decimal) -> Decimal:
    return max(ZERO, Decimal(quantity) - charge.free_units)


def price(charge: Charge, quantity: Decimal) -> ChargeResult:
    quantity = Decimal(quantity)
    if quantity < 0:
        raise ValueError("usage quantities cannot be negative")
    with localcontext(CONTEXT):
        return _price(charge, quantity)


def _price(charge: Charge, quantity: Decimal) -> ChargeResult:
    units = billable(charge, min(quantity, MAX_PERIOD_QUANTITY))
    if charge.model is ChargeModel.STANDARD:
        amount = units * charge.unit_price / charge.block_size
        return ChargeResult(quantity, units, amount, charge.unit_price)
    if charge.model is ChargeModel.PACKAGE:
        packages = (units / charge.block_size).to_integral_value(rounding=ROUND_CEILING)
        return ChargeResult(quantity, units, packages * charge.unit_price, charge.unit_price)
    if charge.model is ChargeModel.GRADUATED:
        parts = graduated_parts(charge.tiers, units, charge.block_size)
    else:
        parts = volume_parts(charge.tiers, units, charge.block_size)
    return ChargeResult(quantity, units, sum((p.amount for p in parts), ZERO), None, parts)


def graduated_parts(tiers: tuple[Tier, ...], units: Decimal, per: Decimal = Decimal(1)) -> tuple[TierPart, ...]:
    parts = []
    lower = ZERO
    for index, tier in enumerate(tiers, start=1):
        if units <= lower and parts:
            break
        upper = units if tier.up_to is None else min(units, tier.up_to)
        in_tier = max(ZERO, upper - lower)
        if in_tier == 0 and units > 0:
            break
        # A tier's flat fee is due once any unit falls in it (none at zero usage).
        fee = tier.flat_fee if in_tier > 0 else ZERO
        parts.append(TierPart(index, lower, tier.up_to, in_tier, tier.unit_price, fee,
                              in_tier * tier.unit_price / per + fee))
        if tier.up_to is None or units <= tier.up_to:
            break
        lower = tier.up_to
    return tuple(parts)


def volume_tier(tiers: tuple[Tier, ...], units: Decimal) -> int:
    """0-based index of the tier the whole quantity lands in."""
    for index, tier in enumerate(tiers):
        if tier.up_to is None or units <= tier.up_to:
            return index
    return len(tiers) - 1


def volume_parts(tiers: tuple[Tier, ...], units: Decimal, per: Decimal = Decimal(1)) -> tuple[TierPart, ...]:
    index = volume_tier(tiers, units)
    tier = tiers[index]
    lower = ZERO if index == 0 else tiers[index - 1].up_to
    fee = tier.flat_fee if units > 0 else ZERO
    return (TierPart(index + 1, lower, tier.up_to, units, tier.unit_price, fee, units * tier.unit_price / per + fee),)
