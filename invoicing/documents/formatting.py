"""Locale-aware money, dates and quantities for documents and emails (babel, CLDR data)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django.utils import timezone

from pricing.money import to_major


def money(minor: int, currency: str, language: str) -> str:
    return format_currency(to_major(minor, currency), currency, locale=language)


def unit_price(value: Decimal | None, currency: str, language: str) -> str:
    if value is None:
        return ""
    # Up to 6 decimals for tiny unit prices, but never fewer than the currency shows.
    return format_currency(value.normalize(), currency, locale=language, format_type="standard",
                           currency_digits=False, decimal_quantization=False)


def quantity(value: Decimal | None, language: str) -> str:
    if value is None:
        return ""
    return format_decimal(Decimal(value).normalize(), locale=language, decimal_quantization=False)


def day(value: date | datetime | None, language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return format_date(value, format="long", locale=language)


def period(start: datetime | None, end: datetime | None, language: str) -> str:
    """Periods are half-open [start, end): the last day shown is the day before `end` begins."""
    if start is None or end is None:
        return ""
    return f"{day(start, language)} – {day(timezone.localtime(end) - timedelta(microseconds=1), language)}"
