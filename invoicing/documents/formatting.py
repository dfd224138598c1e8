"""Money, dates and quantities for documents and emails, in the reader's language: a shorthand for
`billing.display.Display`, so PDFs, emails and the console format alike (amounts in the currency's own
digits through `pricing.money`: ¥1,000, BHD 1.250; unit prices with as many decimals as they carry)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from billing.display import Display


def money(minor: int, currency: str, language: str) -> str:
    return Display(language).money(minor, currency)


def unit_price(value: Decimal | None, currency: str, language: str) -> str:
    return Display(language).unit_price(value, currency)


def quantity(value: Decimal | None, language: str) -> str:
    return Display(language).number(value)


def day(value: date | datetime | None, language: str) -> str:
    return Display(language).day(value)


def period(start: datetime | None, end: datetime | None, language: str) -> str:
    """Periods are half-open [start, end): the last day shown is the day before `end` begins."""
    return Display(language).period(start, end)
