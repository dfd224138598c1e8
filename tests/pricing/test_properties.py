"""Invariants of the pricing engine, checked on generated inputs (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import (
    Charge,
    Coupon,
    InvoiceInput,
    LineKind,
    OneOff,
    Period,
    Proration,
    Recurring,
    Tier,
    allocate,
    price,
    price_invoice,
    proration_factor,
    round_to_minor,
)

CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "BHD"])
PRICES = st.decimals(min_value=D(0), max_value=D(1000), places=6, allow_nan=False, allow_infinity=False)
QUANTITIES = st.decimals(min_value=D(0), max_value=D(10_000_000), places=3, allow_nan=False, allow_infinity=False)
START = datetime(2024, 1, 1, tzinfo=UTC)


@st.composite
def tier_lists(draw, decreasing=False):
    bounds = sorted(draw(st.sets(st.integers(1, 1_000_000), min_size=1, max_size=5)))
    prices = draw(st.lists(PRICES, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    if decreasing:
        prices = sorted(prices, reverse=True)
    return tuple(Tier(None if b is None else D(b), p) for b, p in zip(bounds + [None], prices, strict=True))


@st.composite
def charges(draw):
    model = draw(st.sampled_from(["standard", "package", "graduated", "volume"]))
    tiers = draw(tier_lists()) if model in ("graduated", "volume") else ()
    return Charge(draw(st.sampled_from(["api_calls", "storage", "tokens"])), model, unit_price=draw(PRICES),
                  block_size=draw(st.sampled_from([1, 10, 1000])), free_units=draw(st.integers(0, 1000)),
                  tiers=tiers)


@st.composite
def periods(draw):
    start = START + timedelta(seconds=draw(st.integers(0, 10**8)))
    return Period(start, start + timedelta(seconds=draw(st.integers(2, 366 * 86400))))


@settings(max_examples=150, deadline=None)
@given(currency=CURRENCIES, charge_list=st.lists(charges(), max_size=4), data=st.data())
def test_total_is_the_sum_of_the_lines(currency, charge_list, data):
    usage = {(c.metric_code, g): data.draw(QUANTITIES) for c in charge_list for g in ("", "eu")}
    priced = price_invoice(InvoiceInput(
        currency=currency,
        recurring=Recurring(flat_price=data.draw(PRICES), seat_price=data.draw(PRICES),
                            included_seats=data.draw(st.integers(0, 5)), seats=data.draw(st.integers(0, 50))),
        advance_period=data.draw(periods()), charges=tuple(charge_list), usage=usage,
        usage_period=data.draw(periods()),
        one_offs=tuple(OneOff("x", data.draw(QUANTITIES), data.draw(PRICES)) for _ in range(2)),
        coupons=(Coupon("C", percent_off=data.draw(st.decimals(min_value=D("0.01"), max_value=D(100), places=2))),),
    ))
    assert priced.subtotal == sum(line.amount for line in priced.lines)
    assert priced.total_before_tax == priced.subtotal - sum(d.amount for d in priced.discounts)
    assert sum(priced.line_discounts) == priced.discount_total
    assert all(0 <= share <= max(0, line.amount) for share, line in zip(priced.line_discounts, priced.lines,
                                                                         strict=True))
    assert priced.total_before_tax >= 0


@settings(max_examples=200, deadline=None)
@given(tiers=tier_lists(), data=st.data())
def test_graduated_and_volume_at_tier_boundaries_follow_their_definitions(tiers, data):
    graduated = Charge("m", "graduated", tiers=tiers)
    volume = Charge("m", "volume", tiers=tiers)
    k = data.draw(st.integers(0, len(tiers) - 2))
    boundary = tiers[k].up_to
    # volume: the whole quantity at the rate of the tier whose upper bound it is (inclusive) ...
    assert price(volume, boundary).amount == boundary * tiers[k].unit_price
    # ... and one unit more moves all of it to the next tier.
    assert price(volume, boundary + 1).amount == (boundary + 1) * tiers[k + 1].unit_price
    # graduated: each full tier below the boundary at its own rate.
    lower, expected = D(0), D(0)
    for tier in tiers[: k + 1]:
        expected += (tier.up_to - lower) * tier.unit_price
        lower = tier.up_to
    assert price(graduated, boundary).amount == expected
    assert price(graduated, boundary + 1).amount == expected + tiers[k + 1].unit_price
    # in the first tier, the two models are the same thing.
    first = data.draw(st.integers(0, int(tiers[0].up_to)))
    assert price(graduated, first).amount == price(volume, first).amount


@settings(max_examples=200, deadline=None)
@given(tiers=tier_lists(decreasing=True), quantity=QUANTITIES)
def test_with_falling_tier_prices_volume_never_costs_more_than_graduated(tiers, quantity):
    assert price(Charge("m", "volume", tiers=tiers), quantity).amount <= \
        price(Charge("m", "graduated", tiers=tiers), quantity).amount


@settings(max_examples=300, deadline=None)
@given(currency=CURRENCIES, period=periods(), fee=PRICES, quantity=st.integers(1, 500), data=st.data())
def test_splitting_a_period_by_a_proration_moves_at_most_one_minor_unit(currency, period, fee, quantity, data):
    cut = period.start + timedelta(seconds=data.draw(st.integers(1, period.seconds - 1)))
    before, after = Period(period.start, cut), Period(cut, period.end)
    parts = [Proration("part", fee, D(quantity), part, proration_factor(period, part)) for part in (before, after)]
    priced = price_invoice(InvoiceInput(currency=currency, prorations=tuple(parts)))
    whole = round_to_minor(fee * quantity, currency)
    assert abs(priced.subtotal - whole) <= 1


@settings(max_examples=100, deadline=None)
@given(currency=CURRENCIES, charge_list=st.lists(charges(), min_size=1, max_size=4, unique_by=lambda c: c.metric_code),
       period=periods())
def test_zero_usage_gives_zero_usage_lines_not_missing_ones(currency, charge_list, period):
    priced = price_invoice(InvoiceInput(currency=currency, charges=tuple(charge_list), usage={}, usage_period=period))
    usage = [line for line in priced.lines if line.kind == LineKind.USAGE]
    assert [line.metric_code for line in usage] == [c.metric_code for c in charge_list]
    assert all(line.amount == 0 and line.quantity == 0 for line in usage)


@given(amounts=st.lists(st.integers(-10_000, 10_000), max_size=20), total=st.integers(0, 100_000))
def test_allocation_is_exact_and_within_each_line(amounts, total):
    shares = allocate(amounts, total)
    positive = sum(a for a in amounts if a > 0)
    assert sum(shares) == min(total, positive)
    assert all(0 <= s <= max(0, a) for s, a in zip(shares, amounts, strict=True))


@settings(max_examples=150, deadline=None)
@given(currency=CURRENCIES, charge=charges(), billed=QUANTITIES, late=QUANTITIES, period=periods())
def test_usage_billed_on_time_plus_late_costs_what_it_would_have_cost_at_once(currency, charge, billed, late,
                                                                              period):
    from pricing import LateUsage

    on_time = price_invoice(InvoiceInput(currency=currency, charges=(charge,), usage={(charge.metric_code, ""): billed},
                                         usage_period=period))
    later = price_invoice(InvoiceInput(currency=currency, charges=(charge,), late_usage=(
        LateUsage(charge.metric_code, "", period, billed, late),)))
    at_once = price_invoice(InvoiceInput(currency=currency, charges=(charge,),
                                         usage={(charge.metric_code, ""): billed + late}, usage_period=period))
    assert abs(on_time.subtotal + later.subtotal - at_once.subtotal) <= 1
