"""One helper converts major and minor units, with each currency's own digits, and never rounds what was typed."""

from decimal import Decimal

import pytest

from pricing.money import (
    NotAnAmount,
    TooManyDecimals,
    UnknownCurrency,
    format_money,
    format_unit_price,
    round_to_minor,
    to_major,
    to_minor,
)


@pytest.mark.parametrize(("typed", "currency", "minor"), [
    ("10.00", "USD", 1000), ("10", "USD", 1000), ("0.01", "USD", 1), ("1000", "JPY", 1000),
    ("1000.00", "JPY", 1000), ("1.250", "BHD", 1250), ("1.25", "BHD", 1250), (Decimal("-3.5"), "EUR", -350),
    (7, "USD", 700),
])
def test_major_units_become_the_currencys_minor_units(typed, currency, minor):
    assert to_minor(typed, currency) == minor


@pytest.mark.parametrize(("typed", "currency", "message"), [
    ("10.001", "USD", "USD has only 2 decimals."), ("1000.5", "JPY", "JPY has no decimals."),
    ("1.2345", "BHD", "BHD has only 3 decimals."),
])
def test_digits_the_currency_lacks_are_refused_not_rounded(typed, currency, message):
    with pytest.raises(TooManyDecimals, match=message):
        to_minor(typed, currency)


@pytest.mark.parametrize("typed", ["abc", "", "NaN", "Infinity", 1.5, None, True])
def test_what_is_not_an_amount_is_refused(typed):
    with pytest.raises(NotAnAmount):
        to_minor(typed, "USD")


def test_an_unknown_currency_is_refused():
    with pytest.raises(UnknownCurrency):
        to_minor("1", "XYZ")


def test_computed_amounts_round_once_half_up():
    assert (round_to_minor(Decimal("1.235"), "USD"), round_to_minor(Decimal("617.5"), "JPY")) == (124, 618)


def test_minor_units_read_back_with_the_currencys_digits():
    assert (to_major(12400, "USD"), to_major(1000, "JPY"), to_major(1250, "BHD")) == (
        Decimal("124.00"), Decimal("1000"), Decimal("1.250"))
    assert str(to_major(1250, "BHD")) == "1.250"


def test_amounts_are_formatted_with_the_currency_and_its_own_digits():
    assert format_money(12400, "USD") == "$124.00"
    assert format_money(1000, "JPY") == "¥1,000"
    assert format_money(1250, "BHD") == "BHD\u00a01.250"
    assert format_money(-350, "EUR", locale="de") == "-3,50\u00a0€"


def test_unit_prices_keep_their_six_decimals_and_the_currencys_least():
    assert format_unit_price(Decimal("0.000001"), "USD") == "$0.000001"
    assert format_unit_price(Decimal("10.000000"), "USD") == "$10.00"
    assert format_unit_price(Decimal("1000"), "JPY") == "¥1,000"
    assert format_unit_price(Decimal("12.5"), "BHD") == "BHD\u00a012.500"


def test_huge_amounts_are_converted_whole_not_rounded_by_the_decimal_context():
    assert to_minor("1234567890123456789012345678.91", "USD") == 123456789012345678901234567891
    assert round_to_minor(Decimal("99999999999999") * Decimal("999999999999999999"), "USD") == \
        9999999999999899990000000000000000
