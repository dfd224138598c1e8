"""What the engine returns: lines that carry every input their amount came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .charges import TierPart
from .choices import LabelledChoices


class LineKind(LabelledChoices):
    """What an invoice line bills; invoicing's `InvoiceLine.kind` takes its choices from here."""

    FLAT = "flat", "Flat fee"
    SEATS = "seats", "Seats"
    USAGE = "usage", "Usage"
    LATE_USAGE = "late_usage", "Late usage"
    PRORATION = "proration", "Proration"
    ONE_OFF = "one_off", "One-off charge"


@dataclass(frozen=True)
class Line:
    kind: LineKind
    description: str
    amount: int  # minor units, rounded once, half up
    quantity: Decimal
    unit_price: Decimal | None  # None when a tier breakdown decides
    period_start: datetime | None = None
    period_end: datetime | None = None
    proration_factor: Decimal = Decimal(1)
    metric_code: str = ""
    group_key: str = ""
    billable_quantity: Decimal | None = None  # usage after included units
    free_units: Decimal = Decimal(0)
    charge_model: str = ""
    block_size: Decimal | None = None
    tiers: tuple[TierPart, ...] = ()
    reference: str = ""  # the source row (proration item, one-off) for traceability
    charge: dict = field(default_factory=dict)  # usage lines: the full charge, to price them again
    # Usage lines: the unrounded amount when it was more than the engine bills (MAX_USAGE_AMOUNT).
    capped_from: Decimal | None = None

    def inputs(self) -> dict:
        """The line's inputs, JSON-safe, as stored beside its amount."""
        inputs = {
            "charge_model": self.charge_model,
            "block_size": None if self.block_size is None else str(self.block_size),
            "free_units": str(self.free_units),
            "billable_quantity": None if self.billable_quantity is None else str(self.billable_quantity),
            "tiers": [part.as_dict() for part in self.tiers],
            "reference": self.reference,
            "charge": self.charge,
        }
        if self.capped_from is not None:
            inputs["capped_from"] = str(self.capped_from)  # the amount is the cap, not the price
        return inputs


@dataclass(frozen=True)
class DiscountLine:
    code: str
    description: str
    amount: int  # minor units, positive: taken off the subtotal
    reference: str = ""


@dataclass(frozen=True)
class PricedInvoice:
    currency: str
    lines: tuple[Line, ...]
    discounts: tuple[DiscountLine, ...] = ()
    line_discounts: tuple[int, ...] = field(default=())  # each line's share of the discounts

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(d.amount for d in self.discounts)

    @property
    def total_before_tax(self) -> int:
        return self.subtotal - self.discount_total
