"""What the engine prices: plain, immutable inputs (no database, no Django).

Prices are Decimal in the currency's major units (dollars, euros); flat and
seat prices too, so "$99" is Decimal("99"). The adapters that build these from
the catalog, subscriptions and metering live with their sources: a plan's usage
charge in billing/selectors/terms.py (`charge_from_terms`), an invoice's inputs in
invoicing/adapters.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .choices import LabelledChoices
from .money import unit_price
from .periods import Period


class ChargeModel(LabelledChoices):
    """How a usage charge prices a quantity; billing's `PlanCharge.model` takes its choices from here.

    Tier prices (graduated and volume) are per `block_size` units too."""

    STANDARD = "standard", "Standard (per unit or per block of N units)"  # fractions of a block count
    GRADUATED = "graduated", "Graduated (each tier at its own rate)"
    VOLUME = "volume", "Volume (whole quantity at the tier it lands in)"
    PACKAGE = "package", "Package (per started package of N units)"  # a started package counts whole


@dataclass(frozen=True)
class Tier:
    """Units up to and including `up_to` (None: no upper bound), at `unit_price` each, plus `flat_fee` once."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = Decimal(0)

    def __post_init__(self):
        object.__setattr__(self, "unit_price", unit_price(self.unit_price))
        object.__setattr__(self, "flat_fee", Decimal(self.flat_fee))
        if self.up_to is not None:
            object.__setattr__(self, "up_to", Decimal(self.up_to))


@dataclass(frozen=True)
class Charge:
    """A usage charge of a plan for one metric (overrides already applied)."""

    metric_code: str
    model: ChargeModel
    unit_price: Decimal = Decimal(0)
    block_size: Decimal = Decimal(1)  # standard: per N units; package: package size
    free_units: Decimal = Decimal(0)  # included units, taken off before pricing
    tiers: tuple[Tier, ...] = ()
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "model", ChargeModel(self.model))
        object.__setattr__(self, "unit_price", unit_price(self.unit_price))
        object.__setattr__(self, "block_size", Decimal(self.block_size))
        object.__setattr__(self, "free_units", Decimal(self.free_units))
        object.__setattr__(self, "tiers", tuple(self.tiers))
        if self.block_size <= 0:
            raise ValueError("block_size must be positive")
        if self.free_units < 0:
            raise ValueError("free_units cannot be negative")
        if self.model in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
            _check_tiers(self.tiers)


def charge_as_dict(charge: Charge) -> dict:
    """A charge, JSON-safe, as stored on usage lines so they can be priced again."""
    return {"metric_code": charge.metric_code, "model": str(charge.model), "unit_price": str(charge.unit_price),
            "block_size": str(charge.block_size), "free_units": str(charge.free_units), "name": charge.name,
            "tiers": [{"up_to": None if t.up_to is None else str(t.up_to), "unit_price": str(t.unit_price),
                       "flat_fee": str(t.flat_fee)} for t in charge.tiers]}


def charge_from_dict(data: dict) -> Charge:
    return Charge(
        metric_code=data["metric_code"], model=data["model"], unit_price=Decimal(data["unit_price"]),
        block_size=Decimal(data["block_size"]), free_units=Decimal(data["free_units"]), name=data.get("name", ""),
        tiers=tuple(Tier(None if t["up_to"] is None else Decimal(t["up_to"]), Decimal(t["unit_price"]),
                         Decimal(t["flat_fee"])) for t in data.get("tiers", [])),
    )


def _check_tiers(tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        raise ValueError("graduated and volume charges need at least one tier")
    bounds = [t.up_to for t in tiers]
    if bounds[-1] is not None:
        raise ValueError("the last tier must have no upper bound (up_to=None)")
    finite = bounds[:-1]
    if any(b is None for b in finite) or any(b <= 0 for b in finite):
        raise ValueError("only the last tier may be unbounded; bounds must be positive")
    if any(b2 <= b1 for b1, b2 in zip(finite, finite[1:], strict=False)):
        raise ValueError("tier bounds must increase")


@dataclass(frozen=True)
class Recurring:
    """The fees billed in advance for a period: flat price and seats."""

    flat_price: Decimal = Decimal(0)
    seat_price: Decimal | None = None  # None: the plan has no per-seat price
    included_seats: int = 0
    seats: int = 1
    plan_name: str = ""


@dataclass(frozen=True)
class Proration:
    """A stored proration item: credit for unused time or charge for the rest of a period."""

    description: str
    unit_price: Decimal
    quantity: Decimal
    period: Period
    factor: Decimal  # fraction of the full period, 0 < factor <= 1
    credit: bool = False
    reference: str = ""

    def __post_init__(self):
        object.__setattr__(self, "unit_price", unit_price(self.unit_price))
        if not Decimal(0) <= Decimal(self.factor) <= Decimal(1):
            raise ValueError("a proration factor lies between 0 and 1")


@dataclass(frozen=True)
class LateUsage:
    """Usage that arrived after its period was invoiced: billed on top of what was billed then."""

    metric_code: str
    group_key: str
    period: Period
    billed_quantity: Decimal  # what the earlier invoice charged for
    late_quantity: Decimal


@dataclass(frozen=True)
class OneOff:
    description: str
    quantity: Decimal
    unit_price: Decimal
    reference: str = ""

    def __post_init__(self):
        object.__setattr__(self, "unit_price", unit_price(self.unit_price))


@dataclass(frozen=True)
class Coupon:
    """Off the subtotal before tax: a percentage, or a fixed amount in minor units."""

    code: str
    percent_off: Decimal | None = None
    amount_off: int | None = None  # minor units of the invoice currency
    description: str = ""
    reference: str = ""

    def __post_init__(self):
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("a coupon has either percent_off or amount_off")
        if self.percent_off is not None and not Decimal(0) < Decimal(self.percent_off) <= Decimal(100):
            raise ValueError("percent_off lies in (0, 100]")
        if self.amount_off is not None and self.amount_off <= 0:
            raise ValueError("amount_off must be positive")


# Usage per (metric code, group key); "" is the key of ungrouped usage.
Usage = dict[tuple[str, str], Decimal]


@dataclass(frozen=True)
class InvoiceInput:
    currency: str
    recurring: Recurring | None = None
    advance_period: Period | None = None  # the coming period, for flat and seat fees
    charges: tuple[Charge, ...] = ()
    usage: Usage = field(default_factory=dict)
    usage_period: Period | None = None  # the period just ended, for usage
    prorations: tuple[Proration, ...] = ()
    late_usage: tuple[LateUsage, ...] = ()
    one_offs: tuple[OneOff, ...] = ()
    coupons: tuple[Coupon, ...] = ()
