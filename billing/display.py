"""Numbers, money, dates and percentages as the console's reader reads them, in their language (babel, CLDR).

Every console page and email formats through one `Display` made for the reader's language, so no page
shows minor units, ISO timestamps or a float. Money goes through `pricing.money` (the one helper).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from pricing.money import format_money, format_unit_price

LANGUAGES = {code for code, _ in settings.LANGUAGES}


def language_of(request) -> str:
    """The request's language (LocaleMiddleware's choice), one of LANGUAGES."""
    code = (getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE).split("-")[0].lower()
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Display:
    language: str = "en"

    @classmethod
    def for_request(cls, request) -> Display:
        return cls(language_of(request))

    def money(self, minor: int | None, currency: str) -> str:
        return "" if minor is None else format_money(minor, currency, self.language)

    def unit_price(self, price: Decimal | None, currency: str) -> str:
        return "" if price is None else format_unit_price(price, currency, self.language)

    def price_per(self, price: Decimal, currency: str, *, block: Decimal | int = 1, unit: str = "") -> str:
        """"$0.50 per 1,000 impressions": the price with its block, so the line's amount can be redone."""
        block = Decimal(block or 1)
        amount = self.unit_price(price, currency)
        if block == 1 and not unit:
            return amount
        per = f"{self.number(block)} {unit}".strip() if block != 1 else unit
        return gettext("%(price)s per %(per)s") % {"price": amount, "per": per}

    def number(self, value: Decimal | int | None) -> str:
        if value is None:
            return ""
        return format_decimal(Decimal(value).normalize(), locale=self.language, decimal_quantization=False)

    def percent(self, value: Decimal | None) -> str:
        """A percentage given as 0-100+ (110.0 -> "110%"), to one decimal only when it has one."""
        if value is None:
            return ""
        return format_percent(Decimal(value).normalize() / 100, locale=self.language, decimal_quantization=False)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = timezone.localtime(value).date()
        return format_date(value, format="long", locale=self.language)

    def short_day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = timezone.localtime(value).date()
        return format_date(value, format="d MMM", locale=self.language)

    def period(self, start: datetime | None, end: datetime | None) -> str:
        """Periods are half-open [start, end): the last day shown is the day before `end` begins."""
        if start is None or end is None:
            return ""
        return f"{self.day(start)} – {self.day(timezone.localtime(end) - timedelta(microseconds=1))}"
