"""The pricing engine: pure functions from plan terms, usage and adjustments to invoice lines.

No database and no Django: everything it needs comes in as the dataclasses of
`terms`, everything it decides goes out as the `Line`s of `lines`, each carrying
its inputs so an amount can be recomputed from what is stored beside it.
"""

from .charges import ChargeResult, TierPart, price
from .engine import allocate, price_invoice, price_one, proration_factor
from .lines import DiscountLine, Line, LineKind, PricedInvoice
from .money import currency_exponent, to_major, to_minor, unit_price
from .terms import (
    Charge,
    ChargeModel,
    Coupon,
    InvoiceInput,
    LateUsage,
    OneOff,
    Period,
    Proration,
    Recurring,
    Tier,
    Usage,
    charge_as_dict,
    charge_from_dict,
)

__all__ = [
    "Charge", "ChargeModel", "ChargeResult", "Coupon", "DiscountLine", "InvoiceInput", "LateUsage", "Line",
    "LineKind", "OneOff", "Period", "PricedInvoice", "Proration", "Recurring", "Tier", "TierPart", "Usage",
    "allocate", "charge_as_dict", "charge_from_dict", "currency_exponent", "price", "price_invoice", "price_one", "proration_factor", "to_major",
    "to_minor", "unit_price",
]
