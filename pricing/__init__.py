"""Pure money maths shared by every app: no Django, no database, none of our apps (see docs/architecture.md).

- `money`: minor units and currency exponents (CLDR through babel), half-up rounding, unit prices, the bounds;
- `quantities`: how large a billed quantity may be, and the context quantities are priced in;
- `periods`: a `Period` and billing-period boundaries; `proration`: the one proration factor;
- `terms`: what the engine prices (charge models and tiers, recurring fees, prorations, coupons);
- `charges`: the four charge models, unrounded; `lines`: what it returns, each line with its inputs;
- `engine`: an `InvoiceInput` priced into lines and discounts, each amount rounded once, half up.

Everything the engine needs comes in as the dataclasses of `terms`, everything it decides
goes out as the `Line`s of `lines`, so an amount can be recomputed from what is stored beside it.
"""

from .charges import ChargeResult, TierPart, price
from .engine import (
    LineTooLarge,
    allocate,
    coupon_discounts,
    one_off_line,
    price_invoice,
    price_one,
    usage_lines,
)
from .lines import DiscountLine, Line, LineKind, PricedInvoice
from .money import currency_exponent, round_to_minor, to_major, to_minor, unit_price
from .periods import Period
from .proration import prorate, proration_factor, remaining_factor
from .terms import (
    Charge,
    ChargeModel,
    Coupon,
    InvoiceInput,
    LateUsage,
    OneOff,
    Proration,
    Recurring,
    Tier,
    Usage,
    charge_as_dict,
    charge_from_dict,
)

__all__ = [
    "Charge", "ChargeModel", "ChargeResult", "Coupon", "DiscountLine", "InvoiceInput", "LateUsage", "Line",
    "LineKind", "LineTooLarge", "OneOff", "Period", "PricedInvoice", "Proration", "Recurring", "Tier", "TierPart",
    "Usage", "allocate", "charge_as_dict", "charge_from_dict", "coupon_discounts", "currency_exponent",
    "one_off_line", "price", "price_invoice", "price_one", "prorate", "proration_factor", "remaining_factor",
    "round_to_minor", "to_major", "to_minor", "unit_price", "usage_lines",
]
