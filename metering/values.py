"""What a usage value may be, and what a period's quantity may be: the one definition.

Ingestion (`metering.ingest.validate`, both lanes), the stored column
(`metering.storage`, migration 0009), aggregation (`metering.aggregation` and the
selectors) and pricing (`pricing.charges`) all read their bounds here; the two that
pricing needs too (MAX_PERIOD_QUANTITY and CONTEXT) are defined in `pricing.quantities`.

A **usage value** (an event's `value`, or the numeric property a metric aggregates)
is a finite decimal number with at most 14 digits before the point and 12 after
it: |value| < 10^14, stored as numeric(26, 12). 10^14 bytes is 100 TB in one event;
12 places keep the decimals the API has always accepted (GB with byte precision).
Negative values are corrections (operator keys, `sum` metrics only; see ingestion).

Why these bounds keep every sum exact and every column safe:
- Aggregates are computed in PostgreSQL's unbounded `numeric`, and read into Python
  in `CONTEXT` (64 significant digits). A table cannot hold more than 2^63 rows (a
  bigint count), so a sum is below 2^63 * 10^14 < 10^33: 33 digits before the point
  and 12 after fit 64 digits, with no rounding and no overflow for any count.
- Rollup buckets (numeric(38, 12): below 10^26) hold at most a UTC day: that needs
  10^12 maximal events in one day for one account, metric and group, a hundred times
  more than this platform ingests (about 10^5 events/s, 8.6 * 10^9 a day).
- A period's quantity for billing and display is clamped to [0, MAX_PERIOD_QUANTITY]:
  never below zero (corrections cannot make usage negative) and at most 10^17 units
  (100 PB counted in bytes), far beyond any real period but within what an invoice
  line stores (numeric(24, 6): below 10^18) and what the engine prices exactly.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pricing.quantities import CONTEXT, MAX_PERIOD_QUANTITY

INTEGER_DIGITS = 14
DECIMAL_PLACES = 12
LIMIT = Decimal(10) ** INTEGER_DIGITS  # |value| < LIMIT
COLUMN_TYPE = f"numeric({INTEGER_DIGITS + DECIMAL_PLACES}, {DECIMAL_PLACES})"
DESCRIPTION = (f"a number with at most {INTEGER_DIGITS} digits before the decimal point "
               f"and {DECIMAL_PLACES} after it")

# CONTEXT (pricing.quantities) is wide enough for any sum of stored values (see above) and for a
# period's quantity times a ratio (projections); it traps what must never pass silently.

_ZERO = Decimal(0)
_ONE = Decimal(1)
_INT_LIMIT = 10**INTEGER_DIGITS
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
# Numeric properties are aggregated as `(properties ->> name)::numeric`, so a string must be one
# PostgreSQL reads as Python does: ASCII digits (Python also takes underscores and other scripts'
# digits), an exponent of at most two digits (PostgreSQL refuses one beyond 1000), no spaces.
_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?\Z")


def usage_value(raw) -> Decimal | None:
    """The value as a Decimal in canonical form, or None when it is not a valid usage value.

    Accepts an int, a Decimal (msgspec's decoding of `value`), a float (a JSON number in
    `properties`) or a decimal string. Runs for every event: a few comparisons for the
    usual int or short decimal.
    """
    kind = type(raw)
    if kind is int:
        return Decimal(raw) if -_INT_LIMIT < raw < _INT_LIMIT else None
    if kind is Decimal:
        number = raw
    elif kind is float:
        number = Decimal(repr(raw))
    elif kind is str:
        if _TEXT.match(raw) is None:
            return None
        number = Decimal(raw)
    else:
        return None  # bool, None, lists, objects
    if not number.is_finite() or not -LIMIT < number < LIMIT:
        return None
    exponent = number.as_tuple().exponent
    if exponent < -DECIMAL_PLACES:
        number = number.normalize(CONTEXT)  # 1.50000000000000 is 1.5; 0E-1000000 is 0
        exponent = number.as_tuple().exponent
        if exponent < -DECIMAL_PLACES:
            return None
    if exponent > 0:
        number = number.quantize(_ONE, context=CONTEXT)  # 1E+3 is 1000 (and 0E+999999 is 0)
    return number


def quantity(value) -> Decimal:
    """An aggregate, exact, without trailing zeros (integral values as plain integers); signed."""
    number = Decimal(value or 0)
    if number == number.to_integral_value(context=CONTEXT):
        return number.quantize(_ONE, context=CONTEXT)
    return number.quantize(_QUANTUM, context=CONTEXT).normalize(CONTEXT)


def period_total(quantities) -> Decimal:
    """The sum of several groups' quantities, exact, as a period's quantity."""
    total = _ZERO
    for value in quantities:
        total = CONTEXT.add(total, value)
    return period_quantity(total)


def period_quantity(value) -> Decimal:
    """A period's quantity as billed and shown: within [0, MAX_PERIOD_QUANTITY]."""
    number = quantity(value)
    if number < _ZERO:
        return _ZERO
    if number > MAX_PERIOD_QUANTITY:
        return MAX_PERIOD_QUANTITY
    return number
