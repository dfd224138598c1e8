"""The engine prices any quantity metering gives, exactly, and caps what one charge's usage costs on an
invoice (MAX_USAGE_AMOUNT), so no volume of usage and no number of groups can overflow an invoice."""

from datetime import UTC, datetime
from decimal import Decimal as D

from pricing import (
    Charge,
    InvoiceInput,
    LateUsage,
    Period,
    Tier,
    price,
    price_invoice,
    price_one,
)
from pricing.money import MAX_USAGE_AMOUNT
from pricing.quantities import CONTEXT, MAX_PERIOD_QUANTITY

JAN = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
LARGEST_PERIOD = D("99999999999999999.999999999999")  # just below MAX_PERIOD_QUANTITY, 29 digits
EXPENSIVE = Charge("tokens", "standard", unit_price=D("99999999999999.999999"))


def test_the_largest_period_quantity_is_priced_exactly():
    assert LARGEST_PERIOD < MAX_PERIOD_QUANTITY
    result = price(Charge("tokens", "standard", unit_price=D("0.000001")), LARGEST_PERIOD)
    assert result.amount == D("99999999999.999999999999999999")  # 30 digits: no rounding at 28


def test_a_line_past_the_cap_is_billed_at_the_cap_and_says_so():
    calls = Charge("calls", "standard", unit_price=D("99999999999999.999999"))
    capped, ordinary = price_invoice(InvoiceInput(
        currency="USD", charges=(EXPENSIVE, calls), usage={("tokens", ""): LARGEST_PERIOD, ("calls", ""): D("0.5")},
        usage_period=JAN)).lines
    assert capped.amount == MAX_USAGE_AMOUNT and capped.quantity == LARGEST_PERIOD
    assert D(capped.inputs()["capped_from"]) == CONTEXT.multiply(LARGEST_PERIOD, D("99999999999999.999999"))
    assert ordinary.amount == 5 * 10**15 and "capped_from" not in ordinary.inputs()  # USD 49,999,999,999,999.99
    assert price_one(EXPENSIVE, LARGEST_PERIOD, "USD") == MAX_USAGE_AMOUNT


def test_a_charge_s_groups_share_one_cap_however_many_they_are():
    usage = {("tokens", f"model={n}"): LARGEST_PERIOD for n in range(2000)}
    priced = price_invoice(InvoiceInput(currency="JPY", charges=(EXPENSIVE,), usage=usage, usage_period=JAN))
    assert len(priced.lines) == 2000 and priced.subtotal == MAX_USAGE_AMOUNT
    assert [line.amount for line in priced.lines[:2]] == [MAX_USAGE_AMOUNT, 0]


def test_late_usage_lines_are_capped_per_charge_too():
    late = tuple(LateUsage("tokens", f"g{n}", JAN, billed_quantity=D(0), late_quantity=LARGEST_PERIOD)
                 for n in range(3))
    tiered = Charge("tokens", "graduated", tiers=(Tier(D(1000), D("0.01")), Tier(None, D("5"))))
    priced = price_invoice(InvoiceInput(currency="BHD", charges=(tiered,), late_usage=late))
    assert [line.amount for line in priced.lines] == [MAX_USAGE_AMOUNT, 0, 0]
