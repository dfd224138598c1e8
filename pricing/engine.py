"""Turn an InvoiceInput into priced lines: flat and seats in advance, usage in arrears,
prorations, late usage, one-offs, then coupons off the subtotal (before tax).

A line priced from prices (flat, seats, proration, one-off) that would cost, or be priced per
unit at, more than MAX_LINE_AMOUNT is refused with `LineTooLarge` naming the inputs to lower
(invoicing/adapters.py raises it as billing's `AmountTooLarge`, 422); usage is billed at most
MAX_USAGE_AMOUNT per charge (pricing/money.py has the reasons).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from . import charges as models
from .lines import DiscountLine, Line, LineKind, PricedInvoice
from .money import (
    MAX_LINE_AMOUNT,
    MAX_USAGE_AMOUNT,
    capped_minor,
    format_unit_price,
    half_up,
    line_too_large_message,
    round_to_minor,
)
from .periods import Period
from .quantities import CONTEXT
from .terms import (
    Charge,
    Coupon,
    InvoiceInput,
    LateUsage,
    OneOff,
    Proration,
    Recurring,
    charge_as_dict,
)


class LineTooLarge(ValueError):
    """A line priced past MAX_LINE_AMOUNT: `message` says why and what to lower, `fields` names those
    inputs (each with the message), as an API error's fields."""

    def __init__(self, message: str, *, fields: dict[str, list[str]]):
        super().__init__(message)
        self.message = message
        self.fields = fields


ZERO = Decimal(0)
HUNDRED = Decimal(100)


def price_invoice(data: InvoiceInput) -> PricedInvoice:
    lines: list[Line] = []
    if data.recurring is not None and data.advance_period is not None:
        lines.extend(recurring_lines(data.recurring, data.advance_period, data.currency))
    if data.usage_period is not None:
        for charge in data.charges:
            lines.extend(usage_lines(charge, data.usage, data.usage_period, data.currency))
    lines.extend(proration_line(p, data.currency) for p in data.prorations)
    charges_by_metric = {c.metric_code: c for c in data.charges}
    late_left = {}  # per charge: what its late-usage lines may still cost (MAX_USAGE_AMOUNT in all)
    for late in data.late_usage:
        charge = charges_by_metric.get(late.metric_code)
        if charge is None:
            raise ValueError(f"late usage for {late.metric_code!r}, which the plan does not charge")
        left = late_left.get(late.metric_code, MAX_USAGE_AMOUNT)
        line = late_usage_line(charge, late, data.currency, cap=left)
        late_left[late.metric_code] = left - line.amount
        lines.append(line)
    lines.extend(one_off_line(o, data.currency) for o in data.one_offs)
    subtotal = sum(line.amount for line in lines)
    discounts = coupon_discounts(data.coupons, subtotal)
    shares = allocate([line.amount for line in lines], sum(d.amount for d in discounts))
    return PricedInvoice(data.currency, tuple(lines), discounts, tuple(shares))


# What to lower when a line passes MAX_LINE_AMOUNT, and the names of those inputs (the error's fields).
FLAT_FIX = ("lower the flat amount (the subscription's override or the plan's price)", ("flat_amount",))
SEATS_FIX = ("lower the quantity or the seat amount", ("quantity", "seat_amount"))
PRORATION_FIX = ("it prorates the subscription's fees per period: lower its flat amount, seat amount or quantity",
                 ("quantity", "flat_amount", "seat_amount"))
ONE_OFF_FIX = ("lower the quantity or the unit price", ("quantity", "unit_price"))


def bounded(line: Line, currency: str, fix: tuple[str, tuple[str, ...]]) -> Line:
    """`line`, unless it costs, or is priced per unit at, more than MAX_LINE_AMOUNT (in either sign):
    then `LineTooLarge`, its message naming the line's inputs and `fix` (what to lower, and the
    names of those inputs, which the error's fields carry)."""
    unit = 0 if line.unit_price is None else abs(round_to_minor(line.unit_price, currency))
    if abs(line.amount) <= MAX_LINE_AMOUNT and unit <= MAX_LINE_AMOUNT:
        return line
    label = line.description[:80]
    price = format_unit_price(line.unit_price or Decimal(0), currency)
    if abs(line.amount) > MAX_LINE_AMOUNT:
        factor = "" if line.proration_factor == 1 else f" × {line.proration_factor.normalize():f}"
        what, amount = f"“{label}” ({abs(line.quantity).normalize():f} × {price}{factor})", abs(line.amount)
    else:
        what, amount = f"“{label}” (one unit at {price})", unit
    text, fields = fix
    message = line_too_large_message(what=what, amount=amount, currency=currency, fix=text)
    raise LineTooLarge(message, fields={name: [message] for name in fields})


def recurring_lines(recurring: Recurring, period: Period, currency: str) -> list[Line]:
    name = recurring.plan_name or "Subscription"
    lines = [bounded(Line(LineKind.FLAT, name, round_to_minor(recurring.flat_price, currency), Decimal(1),
                          Decimal(recurring.flat_price), period.start, period.end), currency, FLAT_FIX)]
    if recurring.seat_price is not None:
        extra = Decimal(max(0, recurring.seats - recurring.included_seats))
        with localcontext(CONTEXT):  # exact: a product past the bound is refused, never rounded into it
            amount = round_to_minor(extra * recurring.seat_price, currency)
        lines.append(bounded(Line(LineKind.SEATS, f"{name}: seats beyond {recurring.included_seats} included",
                                  amount, extra, Decimal(recurring.seat_price), period.start, period.end),
                             currency, SEATS_FIX))
    return lines


def usage_lines(charge: Charge, usage: dict, period: Period, currency: str) -> list[Line]:
    """One line per group with usage; an ungrouped zero line when there was none at all.

    Together they cost at most MAX_USAGE_AMOUNT: a line past it is capped (however many groups).
    """
    groups = sorted((group, qty) for (metric, group), qty in usage.items() if metric == charge.metric_code)
    if not groups:
        groups = [("", ZERO)]
    lines, left = [], MAX_USAGE_AMOUNT
    for group, qty in groups:
        line = _usage_line(LineKind.USAGE, charge, group, Decimal(qty), period, currency, cap=left)
        left -= line.amount
        lines.append(line)
    return lines


def _usage_line(kind, charge: Charge, group: str, quantity: Decimal, period: Period, currency: str,
                amount: Decimal | None = None, reference: str = "", cap: int = MAX_USAGE_AMOUNT) -> Line:
    result = models.price(charge, quantity)
    label = charge.name or charge.metric_code
    unrounded = result.amount if amount is None else amount
    minor, capped = capped_minor(unrounded, currency, cap)
    return Line(
        kind, f"{label} ({group})" if group else label,
        minor, quantity, result.unit_price, period.start, period.end,
        metric_code=charge.metric_code, group_key=group, billable_quantity=result.billable_quantity,
        free_units=charge.free_units, charge_model=str(charge.model), block_size=charge.block_size,
        tiers=result.tiers, reference=reference, charge=charge_as_dict(charge),
        capped_from=unrounded if capped else None,
    )


def late_usage_line(charge: Charge, late: LateUsage, currency: str, cap: int = MAX_USAGE_AMOUNT) -> Line:
    """The price of billed + late usage less the price already billed, rounded once.

    So late units fall in the tiers (and past the included units) where they would
    have fallen had they arrived in time.
    """
    before = models.price(charge, late.billed_quantity).amount
    after = models.price(charge, late.billed_quantity + late.late_quantity)
    line = _usage_line(LineKind.LATE_USAGE, charge, late.group_key, late.late_quantity, late.period, currency,
                       amount=after.amount - before, cap=cap)
    return Line(**{**line.__dict__, "description": f"{line.description}: late usage",
                   "billable_quantity": after.billable_quantity - models.billable(charge, late.billed_quantity),
                   "tiers": after.tiers})


def proration_line(item: Proration, currency: str) -> Line:
    with localcontext(CONTEXT):
        amount = item.unit_price * Decimal(item.quantity) * Decimal(item.factor)
    sign = -1 if item.credit else 1
    return bounded(Line(LineKind.PRORATION, item.description, sign * round_to_minor(amount, currency),
                        sign * Decimal(item.quantity), item.unit_price, item.period.start, item.period.end,
                        proration_factor=Decimal(item.factor), reference=item.reference), currency, PRORATION_FIX)


def one_off_line(item: OneOff, currency: str) -> Line:
    with localcontext(CONTEXT):
        amount = round_to_minor(Decimal(item.quantity) * item.unit_price, currency)
    return bounded(Line(LineKind.ONE_OFF, item.description, amount, Decimal(item.quantity), item.unit_price,
                        reference=item.reference), currency, ONE_OFF_FIX)


def coupon_discounts(coupons: tuple[Coupon, ...], subtotal: int) -> tuple[DiscountLine, ...]:
    """Coupons in order, each on what the previous ones left; never below zero."""
    remaining = max(0, subtotal)
    out = []
    for coupon in coupons:
        if coupon.percent_off is not None:
            amount = int(half_up(Decimal(remaining) * Decimal(coupon.percent_off) / HUNDRED))
        else:
            amount = coupon.amount_off
        amount = min(amount, remaining)
        remaining -= amount
        out.append(DiscountLine(coupon.code, coupon.description or coupon.code, amount, coupon.reference))
    return tuple(out)


def allocate(amounts: list[int], total: int) -> list[int]:
    """Split `total` over the positive amounts in proportion, exactly (largest remainder).

    Each line's share is what tax is computed on; shares sum to `total` and no share
    exceeds its line.
    """
    weights = [max(0, a) for a in amounts]
    pool = sum(weights)
    if total <= 0 or pool == 0:
        return [0] * len(amounts)
    total = min(total, pool)
    raw = [Decimal(w) * total / pool for w in weights]
    shares = [int(r) for r in raw]
    leftover = total - sum(shares)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - shares[i], weights[i]), reverse=True)
    for i in order[:leftover]:
        shares[i] += 1
    return shares


def price_one(charge: Charge, quantity, currency: str) -> int:
    """A charge's amount for a quantity, in minor units (the console's projected cost), capped
    at MAX_USAGE_AMOUNT as on an invoice."""
    return capped_minor(models.price(charge, Decimal(quantity)).amount, currency, MAX_USAGE_AMOUNT)[0]


