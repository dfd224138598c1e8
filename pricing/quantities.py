"""How large a billed quantity may be, and the arithmetic context quantities are priced in.

Metering defines what a usage value may be (`metering.values`) and clamps a period's
quantity to [0, MAX_PERIOD_QUANTITY]; the engine prices at most that many units. Both
read these two names here, the bottom layer, so pricing imports nothing from metering.

- MAX_PERIOD_QUANTITY: 10^17 units (100 PB counted in bytes), far beyond any real
  period but within what an invoice line stores (numeric(24, 6): below 10^18).
- CONTEXT: 64 significant digits. A sum of stored usage values is below 10^33 with 12
  decimals (metering.values explains why), and a quantity (at most 30 digits) times a
  unit price (at most 20) has at most 50: every product and sum is exact in it, and
  what must never pass silently (an invalid operation, a division by zero, an
  overflow) raises.
"""

from __future__ import annotations

from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow

MAX_PERIOD_QUANTITY = Decimal(10) ** 17
CONTEXT = Context(prec=64, traps=[InvalidOperation, DivisionByZero, Overflow])
