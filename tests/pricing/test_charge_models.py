"""A worked example per charge model, to the cent, and the rounding rules."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from pricing import (
    Charge,
    Coupon,
    InvoiceInput,
    LateUsage,
    LineKind,
    OneOff,
    Period,
    Proration,
    Recurring,
    Tier,
    currency_exponent,
    price_invoice,
    price_one,
    proration_factor,
    round_to_minor,
    unit_price,
)

JAN = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
FEB = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
TIERS = (Tier(D(100), D("1.00")), Tier(D(1000), D("0.50")), Tier(None, D("0.10")))


def test_currency_exponents_come_from_cldr():
    assert (currency_exponent("USD"), currency_exponent("JPY"), currency_exponent("BHD")) == (2, 0, 3)
    with pytest.raises(ValueError):
        currency_exponent("XYZ")


def test_rounding_is_half_up_to_the_minor_unit():
    assert round_to_minor(D("1.234"), "USD") == 123
    assert round_to_minor(D("1.235"), "USD") == 124
    assert round_to_minor(D("617.5"), "JPY") == 618
    assert round_to_minor(D("1.2345"), "BHD") == 1235


def test_unit_prices_carry_six_decimals_and_refuse_more():
    assert unit_price("0.000001") == D("0.000001")
    with pytest.raises(ValueError):
        unit_price("0.0000001")


def test_standard_per_unit():
    charge = Charge("api_calls", "standard", unit_price=D("0.001"))
    assert price_one(charge, 1234, "USD") == 123  # $1.234
    assert price_one(charge, 1235, "USD") == 124  # $1.235 rounds up


def test_standard_per_block_with_included_units():
    # $0.50 per 1,000 impressions over 1M included: 500,500 over -> $250.25
    charge = Charge("impressions", "standard", unit_price=D("0.50"), block_size=1000, free_units=1_000_000)
    assert price_one(charge, 1_500_500, "USD") == 25025
    assert price_one(charge, 999_999, "USD") == 0


def test_package_bills_every_started_package():
    charge = Charge("sms", "package", unit_price=D("5"), block_size=1000, free_units=100)
    assert price_one(charge, 2500, "USD") == 1500  # 2,400 billable -> 3 packages
    assert price_one(charge, 2100, "USD") == 1000  # 2,000 -> 2 packages
    assert price_one(charge, 2101, "USD") == 1500


def test_graduated_prices_each_tier_at_its_rate():
    charge = Charge("tokens", "graduated", tiers=TIERS)
    assert price_one(charge, 1500, "USD") == 60000  # 100 x 1 + 900 x 0.50 + 500 x 0.10
    assert price_one(charge, 100, "USD") == 10000
    assert price_one(charge, 101, "USD") == 10050


def test_graduated_tier_flat_fees_are_due_once_a_tier_is_entered():
    charge = Charge("tokens", "graduated", tiers=(Tier(D(10), D(0), D(20)), Tier(None, D("2"), D(5))))
    assert price_one(charge, 0, "USD") == 0
    assert price_one(charge, 10, "USD") == 2000
    assert price_one(charge, 12, "USD") == 2000 + 500 + 400


def test_volume_prices_the_whole_quantity_at_its_tier():
    charge = Charge("tokens", "volume", tiers=TIERS)
    assert price_one(charge, 1500, "USD") == 15000  # 1,500 x 0.10
    assert price_one(charge, 1000, "USD") == 50000  # boundary is inclusive: 1,000 x 0.50
    assert price_one(charge, 100, "USD") == 10000


def test_tiny_unit_prices_in_yen_and_dinars():
    charge = Charge("api_calls", "standard", unit_price=D("0.000001"))
    # 123,456,789 calls at 0.000001 = 123.456789 in any currency
    assert price_one(charge, 123_456_789, "USD") == 12346
    assert price_one(charge, 123_456_789, "JPY") == 123
    assert price_one(charge, 123_456_789, "BHD") == 123457


def test_a_full_invoice_carries_its_inputs():
    data = InvoiceInput(
        currency="EUR",
        recurring=Recurring(flat_price=D("49"), seat_price=D("10"), included_seats=3, seats=5, plan_name="Team"),
        advance_period=FEB,
        charges=(Charge("api_calls", "graduated", tiers=TIERS, name="API calls"),
                 Charge("storage_gb", "standard", unit_price=D("0.25"))),
        usage={("api_calls", "region=eu"): D(150), ("api_calls", "region=us"): D(50)},
        usage_period=JAN,
        prorations=(Proration("Unused time on Starter", D("20"), D(1), JAN, D("0.5"), credit=True),),
        one_offs=(OneOff("Onboarding", D(1), D("300")),),
        coupons=(Coupon("WELCOME10", percent_off=D(10)),),
    )
    priced = price_invoice(data)
    by_kind = {}
    for line in priced.lines:
        by_kind.setdefault(line.kind, []).append(line)
    flat, = by_kind[LineKind.FLAT]
    assert (flat.amount, flat.period_start, flat.period_end) == (4900, FEB.start, FEB.end)
    seats, = by_kind[LineKind.SEATS]
    assert (seats.quantity, seats.unit_price, seats.amount) == (D(2), D("10"), 2000)
    eu, us, storage = by_kind[LineKind.USAGE]
    assert (eu.group_key, eu.amount, eu.period_start) == ("region=eu", 12500, JAN.start)
    assert [(p.quantity, p.unit_price) for p in eu.tiers] == [(D(100), D(1)), (D(50), D("0.5"))]
    assert (us.group_key, us.amount) == ("region=us", 5000)
    assert (storage.metric_code, storage.quantity, storage.amount) == ("storage_gb", D(0), 0)
    credit, = by_kind[LineKind.PRORATION]
    assert (credit.amount, credit.proration_factor) == (-1000, D("0.5"))
    assert by_kind[LineKind.ONE_OFF][0].amount == 30000
    assert priced.subtotal == 4900 + 2000 + 12500 + 5000 - 1000 + 30000
    assert priced.discount_total == 5340  # 10% of 534.00
    assert sum(priced.line_discounts) == priced.discount_total
    assert priced.total_before_tax == 53400 - 5340


def test_fixed_coupons_never_take_the_subtotal_below_zero():
    data = InvoiceInput(currency="USD", one_offs=(OneOff("Setup", D(1), D("30")),),
                        coupons=(Coupon("BIG", amount_off=5000), Coupon("MORE", percent_off=D(50))))
    priced = price_invoice(data)
    assert [d.amount for d in priced.discounts] == [3000, 0]
    assert priced.total_before_tax == 0


def test_late_usage_lands_in_the_tiers_it_would_have_reached():
    charge = Charge("tokens", "graduated", tiers=TIERS)
    late = LateUsage("tokens", "", JAN, billed_quantity=D(90), late_quantity=D(20))
    priced = price_invoice(InvoiceInput(currency="USD", charges=(charge,), late_usage=(late,)))
    line, = priced.lines
    assert line.kind == LineKind.LATE_USAGE
    assert (line.amount, line.quantity, line.period_start) == (1500, D(20), JAN.start)  # 10 x 1 + 10 x 0.50


def test_proration_factor_is_to_the_second():
    half = Period(JAN.start, datetime(2026, 1, 16, 12, tzinfo=UTC))
    assert proration_factor(JAN, half) == D("0.5")
    with pytest.raises(ValueError):
        proration_factor(JAN, FEB)


def test_tier_prices_may_be_per_block_of_units():
    tiers = (Tier(D(1_000_000), D("0.50")), Tier(None, D("0.25")))
    graduated = Charge("impressions", "graduated", tiers=tiers, block_size=1000)
    volume = Charge("impressions", "volume", tiers=tiers, block_size=1000)
    assert price_one(graduated, 1_500_000, "USD") == 50000 + 12500  # 1M at $0.50/1K + 0.5M at $0.25/1K
    assert price_one(volume, 1_500_000, "USD") == 37500  # 1.5M at $0.25/1K
