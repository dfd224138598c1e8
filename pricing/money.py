"""Amounts in major and minor units: the one place that converts between them.

Charged and paid amounts are integers in the currency's minor unit (cents; yen have
none, dinars have three). Currency exponents come from CLDR through babel (USD 2,
JPY 0, BHD 3), never from a table of our own. What a person types goes through
`to_minor`, which refuses digits the currency does not have; what the pricing
engine computes goes through `round_to_minor`, rounded once, half up (a line's amount
is rounded once, never refused for its digits).

Unit prices carry at most 6 decimal places (`unit_price` refuses more rather than
rounding them away), so $0.000001 per call is expressible; proration factors are
kept to 10 places (`FACTOR_QUANTUM`), far below a minor unit.

The bounds on amounts (what may be typed, what a line and an invoice may cost) are
written down here, once, beside the conversions; docs/invoicing.md explains them.
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


class TooLarge(ValueError):
    pass


UNIT_PRICE_PLACES = 6
UNIT_PRICE_QUANTUM = Decimal(1).scaleb(-UNIT_PRICE_PLACES)
FACTOR_QUANTUM = Decimal("1e-10")


# --- the bounds ---------------------------------------------------------------------------------------------------
# Every amount column is a 64-bit integer of minor units (up to 2^63 - 1, about 9.2 x 10^18), and an
# invoice line keeps its unit price in major units in a numeric(20, 6) column: 14 digits before the
# point. Checking each input against its own column is not enough: totals are derived from many
# inputs (seats x seat price, quantity x unit price, lines + tax), so each step has its own bound,
# small enough that the next one cannot pass the columns.
#
# MAX_AMOUNT: the most one amount a person or client types may be, in minor units (a plan's flat,
# seat or tier fee, an override, a coupon's amount off, a credit, a discount, a credit note's or a
# refund's amount): 10^13, USD 100 billion, JPY 10 trillion (about USD 65 billion), and in the
# currencies with the smallest units and no decimals (VND, LBP, IRR) still tens of millions of
# dollars: far above any price, yet a tenth of what a line may cost. It is not 10^15: a flat or
# seat price becomes a line's unit price, and in a currency without decimals (JPY, KRW) 10^14 and
# more no longer fit the unit price column's 14 digits.
MAX_AMOUNT = 10**13
# MAX_LINE_AMOUNT: the most one invoice line priced from prices may cost, or be priced at per unit
# (flat fee, seats x seat price, a proration of a period's flat and seat fees, quantity x unit price of
# a one-off): the largest amount whose major units fit the unit price column in every currency
# (JPY: 99,999,999,999,999). The engine refuses a line past it (`billing.errors.AmountTooLarge`,
# 422); subscriptions refuse terms whose fees per period (flat + seats, what a proration line is
# priced at) pass it.
MAX_LINE_AMOUNT = 10**14 - 1
# MAX_USAGE_AMOUNT: the most one charge's usage lines (or its late-usage lines) cost on one invoice.
# Usage is not refused (it happened): a larger amount is billed at this cap and the line says so
# (`Line.capped_from`). Its unit prices are the charge's own, which fit their column already.
MAX_USAGE_AMOUNT = 10**16
# MAX_INVOICE_AMOUNT: the most an invoice's subtotal or total (tax included) may be, in either sign;
# checked where totals are computed (invoicing/services/totals.py), so a draft, the upcoming invoice
# and a renewal past it are refused (422) rather than written. With tax at 100 % (the most a tax
# rate may be), that is 5,000 lines at the line bound, or 25 usage charges at their cap twice (usage
# and late usage). Everything else derived from an invoice stays below it (a line's tax and its
# share of the discounts: at most its amount; credit notes, payments, amount due: at most the
# total), so no column can overflow: 10^18 is about a ninth of 2^63.
MAX_INVOICE_AMOUNT = 10**18


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


def capped_minor(amount: Decimal, currency: str, cap: int) -> tuple[int, bool]:
    """`round_to_minor(amount)`, or `cap` when that is more: (minor units, whether capped)."""
    if Decimal(amount).scaleb(currency_exponent(currency)) > cap:  # compared before rounding: no overflow
        return cap, True
    return round_to_minor(amount, currency), False


def half_up(value: Decimal, quantum: Decimal = Decimal(1)) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def unit_price(value) -> Decimal:
    """A unit price with at most 6 decimal places (refuses more rather than rounding silently)."""
    try:
        price = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not price.is_finite():
        raise ValueError(f"not a finite unit price: {value!r}")
    if price != price.quantize(UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_UP):
        raise ValueError(f"unit price {value} has more than {UNIT_PRICE_PLACES} decimal places")
    return price.quantize(UNIT_PRICE_QUANTUM)


def amount_checked(minor: int, currency: str | None = None) -> int:
    """A typed amount in minor units, or `TooLarge` when it passes MAX_AMOUNT either way."""
    if abs(minor) > MAX_AMOUNT:
        raise TooLarge(too_large_message(currency))
    return minor


def too_large_message(currency: str | None = None) -> str:
    """What a person is told about an amount past MAX_AMOUNT: "At most $100,000,000,000.00."."""
    try:
        return f"At most {format_money(MAX_AMOUNT, currency)}." if currency else _MINOR_UNITS_LIMIT
    except UnknownCurrency:
        return _MINOR_UNITS_LIMIT


_MINOR_UNITS_LIMIT = f"At most {MAX_AMOUNT} minor units."


def line_too_large_message(*, what: str, amount: int, currency: str, fix: str) -> str:
    """Why a line past MAX_LINE_AMOUNT is refused, naming its inputs and what to lower:
    "12 seats at $1.00 would cost ..., more than one invoice line may ($999,999,999,999.99): lower ..."."""
    return (f"{what} would cost {amount_label(amount, currency)}, more than one invoice line may "
            f"({amount_label(MAX_LINE_AMOUNT, currency)}): {fix}.")


def to_major(minor: int, currency: str) -> Decimal:
    """Integer minor units as a Decimal in major units with the currency's digits (12400 USD -> 124.00)."""
    return Decimal(int(minor)).scaleb(-currency_exponent(currency))


# CLDR asks for a space between a currency code and a digit ("BHD 1.250"); babel leaves it out.
_CODE_BESIDE_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """Minor units as people read them, with the currency's own digits: $5.00, ¥1,000, BHD 1.250."""
    major = to_major(minor, currency)
    with localcontext() as wide:
        wide.prec = max(wide.prec, major.adjusted() + 16)  # babel rounds in this context: an amount past the
        text = format_currency(major, currency, locale=locale)  # bounds, named in its error, is shown whole
    return _CODE_BESIDE_DIGIT.sub("\u00a0", text)


def format_unit_price(price: Decimal, currency: str, locale: str = "en") -> str:
    """A unit price as stored (up to 6 decimals, $0.000001), never with fewer digits than the currency shows."""
    currency_exponent(currency)  # an unknown code raises here, as everywhere else
    price = Decimal(price).normalize()
    with localcontext() as wide:
        wide.prec = max(wide.prec, price.adjusted() + 16)  # as in format_money
        text = format_currency(price, currency, locale=locale, currency_digits=True, decimal_quantization=False)
    return _CODE_BESIDE_DIGIT.sub("\u00a0", text)


def amount_label(minor: int, currency: str) -> str:
    """An amount inside a row's label (its str()): formatted like `format_money`, and never raising, so a
    stray currency code cannot break a page that lists the row."""
    try:
        return format_money(minor, currency)
    except (UnknownCurrency, TypeError, ValueError):
        return f"{minor} {currency} (minor units)"
