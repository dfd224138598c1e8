"""Amounts in major and minor units: the one place that converts between them.

Charged and paid amounts are integers in the currency's minor unit (cents; yen have
none, dinars have three). Currency exponents come from CLDR through babel (USD 2,
JPY 0, BHD 3), never from a table of our own. What a person types goes through
`to_minor`, which refuses digits the currency does not have; what the pricing
engine computes goes through `round_to_minor`, rounded once, half up.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.numbers import format_currency, get_currency_precision, is_currency


class UnknownCurrency(ValueError):
    pass


class NotAnAmount(ValueError):
    pass


class TooManyDecimals(ValueError):
    pass


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit."""
    if not isinstance(currency, str):
        raise UnknownCurrency(f"unknown currency {currency!r}")
    return _exponent(currency)


@functools.lru_cache(maxsize=512)
def _exponent(currency: str) -> int:
    # CLDR's data does not change while the process runs; babel looks it up afresh on every call,
    # which a bill run makes tens of thousands of times. (An unknown code raises, and is not cached.)
    if not is_currency(currency):
        raise UnknownCurrency(f"unknown currency {currency!r}")
    return get_currency_precision(currency)


def decimals_message(currency: str) -> str:
    """What a person is told when an amount has digits the currency lacks: "JPY has no decimals"."""
    exponent = currency_exponent(currency)
    if exponent == 0:
        return f"{currency} has no decimals."
    return f"{currency} has only {exponent} decimal{'s' if exponent > 1 else ''}."


def _decimal(major) -> Decimal:
    # A float has already lost the amount a person meant (0.1 is not one tenth): refused, never converted.
    if isinstance(major, bool) or not isinstance(major, Decimal | int | str):
        raise NotAnAmount(f"not an amount: {major!r}")
    try:
        value = major if isinstance(major, Decimal) else Decimal(str(major).strip())
    except InvalidOperation:
        raise NotAnAmount(f"not an amount: {major!r}") from None
    if not value.is_finite():
        raise NotAnAmount(f"not an amount: {major!r}")
    return value


def _scaled(value: Decimal, currency: str) -> Decimal:
    exponent = currency_exponent(currency)
    with localcontext() as exact:
        exact.prec = max(exact.prec, len(value.as_tuple().digits) + exponent)  # scaling must not round
        return value.scaleb(exponent)


def to_minor(major: Decimal | int | str, currency: str) -> int:
    """An amount in major units ("10.00", "1000", "1.250") as integer minor units of `currency`.

    Refuses an amount with more decimals than the currency has (10.001 USD, 1000.5 JPY) rather
    than rounding it away; trailing zeros are fine (1000.00 JPY is 1000).
    """
    scaled = _scaled(_decimal(major), currency)
    if scaled != scaled.to_integral_value():
        raise TooManyDecimals(decimals_message(currency))
    return int(scaled)


def round_to_minor(major: Decimal | int | str, currency: str) -> int:
    """A computed amount (quantity × unit price, a prorated fee) rounded once, half up, to minor units."""
    value = _decimal(major)
    with localcontext() as exact:
        exact.prec = max(exact.prec, value.adjusted() + 8)  # a huge amount is kept whole, never rounded away
        return int(_scaled(value, currency).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int, currency: str) -> Decimal:
    """Integer minor units as a Decimal in major units with the currency's digits (12400 USD -> 124.00)."""
    return Decimal(int(minor)).scaleb(-currency_exponent(currency))


# CLDR asks for a space between a currency code and a digit ("BHD 1.250"); babel leaves it out.
_CODE_BESIDE_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """Minor units as people read them, with the currency's own digits: $5.00, ¥1,000, BHD 1.250."""
    text = format_currency(to_major(minor, currency), currency, locale=locale)
    return _CODE_BESIDE_DIGIT.sub("\u00a0", text)


def format_unit_price(price: Decimal, currency: str, locale: str = "en") -> str:
    """A unit price as stored (up to 6 decimals, $0.000001), never with fewer digits than the currency shows."""
    currency_exponent(currency)  # an unknown code raises here, as everywhere else
    text = format_currency(Decimal(price).normalize(), currency, locale=locale, currency_digits=True,
                           decimal_quantization=False)
    return _CODE_BESIDE_DIGIT.sub("\u00a0", text)


def amount_label(minor: int, currency: str) -> str:
    """An amount inside a row's label (its str()): formatted like `format_money`, and never raising, so a
    stray currency code cannot break a page that lists the row."""
    try:
        return format_money(minor, currency)
    except (UnknownCurrency, TypeError, ValueError):
        return f"{minor} {currency} (minor units)"
