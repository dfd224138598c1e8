"""The engine refuses a line priced past MAX_LINE_AMOUNT with its own error (pricing imports nothing from
billing), naming the inputs to lower; invoicing raises it as billing's AmountTooLarge."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing import (
    InvoiceInput,
    LineTooLarge,
    OneOff,
    Period,
    Recurring,
    one_off_line,
    price_invoice,
)
from pricing.money import MAX_LINE_AMOUNT

FEB = Period(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))


def test_a_seat_line_past_the_bound_is_refused_naming_quantity_and_seat_amount():
    data = InvoiceInput(currency="USD", advance_period=FEB, recurring=Recurring(
        seat_price=Decimal("1000000000"), included_seats=0, seats=1000, plan_name="Seats"))
    with pytest.raises(LineTooLarge) as exc:
        price_invoice(data)
    assert set(exc.value.fields) == {"quantity", "seat_amount"}
    assert exc.value.message.endswith("lower the quantity or the seat amount.")
    assert exc.value.fields["quantity"] == [exc.value.message]


def test_a_one_off_at_the_bound_is_priced_and_one_minor_unit_more_is_refused():
    at_bound = Decimal(MAX_LINE_AMOUNT) / 100
    assert one_off_line(OneOff("Largest", Decimal(1), at_bound), "USD").amount == MAX_LINE_AMOUNT
    with pytest.raises(LineTooLarge) as exc:
        one_off_line(OneOff("Too large", Decimal(1), at_bound + Decimal("0.01")), "USD")
    assert set(exc.value.fields) == {"quantity", "unit_price"}
