"""Money in the admin: shown and typed in major units with the currency, converted by `pricing.money`.

The database and the API hold integer minor units; finance staff read "$124.00" and
type "124.00". `show_money` and `money_column` format an amount for a page; a
`MoneyField` in a form built on `MoneyFormMixin` reads what a person typed in the
currency's own digits and hands the service integer minor units. An amount with
more decimals than its currency has is an error naming the field, never rounded.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal, InvalidOperation

from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.fields import InvalidJSONInput
from django.utils.html import format_html
from django.utils.translation import get_language, to_locale

from pricing import money

MAX_MINOR = money.MAX_AMOUNT  # what a person may type (pricing/money.py says why it is below the columns' bound)
EMPTY = "—"


def admin_locale() -> str:
    """The babel locale of the page being served (Django's active language)."""
    return to_locale(get_language() or settings.LANGUAGE_CODE)


def show_money(minor: int | None, currency: str | None) -> str:
    """Integer minor units as a person reads them: $124.00, ¥1,000, BHD 1.250."""
    if minor is None:
        return EMPTY
    try:
        return money.format_money(minor, (currency or "").upper(), admin_locale())
    except money.UnknownCurrency:
        return f"{minor} (minor units, currency {currency or 'unknown'})"


def show_unit_price(price: Decimal | None, currency: str | None) -> str:
    """A unit price as stored, up to 6 decimals: $0.000001."""
    if price is None:
        return EMPTY
    try:
        return money.format_unit_price(Decimal(price), (currency or "").upper(), admin_locale())
    except money.UnknownCurrency:
        return f"{price} (currency {currency or 'unknown'})"


def _path(obj, dotted: str):
    return functools.reduce(lambda o, name: None if o is None else getattr(o, name, None), dotted.split("."), obj)


def money_column(field: str, *, currency: str = "currency", description: str | None = None):
    """A changelist column or read-only field showing `obj.<field>` (minor units) in `obj.<currency>`.

    `currency` may be a dotted path (`invoice.currency`) for rows that keep it on their parent.
    """
    def column(obj):
        return show_money(_path(obj, field), _path(obj, currency))

    column.__name__ = column.__qualname__ = f"{field.replace('.', '_')}_money"
    ordering = field.replace(".", "__")
    return admin.display(description=description or field.split(".")[-1].replace("_", " "),
                         ordering=ordering)(column)


def unit_price_column(field: str = "unit_price", *, currency: str = "currency", description: str | None = None):
    """A column showing a Decimal unit price (major units, up to 6 decimals) with its currency."""
    def column(obj):
        return show_unit_price(_path(obj, field), _path(obj, currency))

    column.__name__ = column.__qualname__ = f"{field}_shown"
    return admin.display(description=description or field.replace("_", " "), ordering=field)(column)


def fields_with_money(model, columns: dict, *, swap: dict | None = None, exclude=(),
                      editable_only: bool = True) -> list:
    """The model's fields in order, as a change page lists them, each money field replaced by its column.

    For `fields` / `readonly_fields` of pages that only show amounts (the columns must also be in
    `readonly_fields`); `swap` replaces other fields the same way (a JSON field by its readable form).
    """
    swap = {**(swap or {}), **columns}
    return [swap.get(f.name, f.name) for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in exclude and (f.editable or not editable_only)]


class MoneyShownToViewersMixin:
    """For a (model or inline) admin whose form types amounts: those who may only view the row see
    each amount formatted, as `money_columns` (field name -> `money_column`) shows it."""

    money_columns: dict = {}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        columns = set(self.money_columns.values())
        return [self.money_columns.get(f, f) for f in fields if f not in columns]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.has_change_permission(request, obj):
            return readonly
        return readonly + [c for c in self.money_columns.values() if c not in readonly]


class MoneyInput(forms.TextInput):
    """A text box for an amount in major units, with the currency code beside it when known."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "size": 14, "autocomplete": "off", **(attrs or {})})
        self.currency: str | None = None

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, attrs, renderer)
        if not self.currency:
            return box
        return format_html('{} <span class="money-currency">{}</span>', box, self.currency)


class MoneyField(forms.Field):
    """An amount a person types in major units ("10.00", "1,000", "1.250").

    Cleans to a Decimal in major units; the form (`MoneyFormMixin`) turns it into integer
    minor units of the currency, where it can also say "JPY has no decimals". A stored
    amount (an int, minor units) is shown in the box in major units.
    """

    widget = MoneyInput
    default_error_messages = {
        "invalid": "Type an amount such as %(example)s.",
        "negative": "Must not be negative.",
        "not_positive": "Must be more than zero.",
    }

    def __init__(self, *, allow_negative: bool = False, allow_zero: bool = True, **kwargs):
        self.allow_negative, self.allow_zero = allow_negative, allow_zero
        self._currency: str | None = None
        kwargs.setdefault("help_text", "In major units, with the currency's digits (12.50, ¥1,000, 1.250).")
        super().__init__(**kwargs)

    @property
    def currency(self) -> str | None:
        return self._currency

    @currency.setter
    def currency(self, code: str | None) -> None:
        code = (code or "").strip().upper() or None
        try:
            if code:
                money.currency_exponent(code)
        except money.UnknownCurrency:
            code = None
        self._currency = self.widget.currency = code

    def prepare_value(self, value):
        # What the box shows: a stored amount (int, minor units) in major units; anything typed as typed.
        if isinstance(value, int) and not isinstance(value, bool) and self.currency:
            return format_currency(money.to_major(value, self.currency), self.currency, format="#,##0",
                                   currency_digits=True, locale=admin_locale())
        return value

    def to_python(self, value) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return Decimal(value)
        text = str(value).strip()
        if not text:
            return None
        locale = admin_locale()
        if self.currency:  # "$5.00", "5.00 USD": the currency the form already knows may be typed too
            for mark in (self.currency, get_currency_symbol(self.currency, locale=locale)):
                text = text.upper().removeprefix(mark.upper()).removesuffix(mark.upper()).strip()
        group = get_group_symbol(locale)
        if group in ("\u00a0", "\u202f"):  # French and others group with a (narrow) no-break space: people type a space
            text = text.replace(" ", group)
        # Digits, the sign and the page language's separators only: not 1e3, 1_000 or other scripts' digits.
        allowed = set("0123456789+-") | {get_decimal_symbol(locale), group}
        if not text or not set(text) <= allowed:
            raise ValidationError(self.error_messages["invalid"] % {"example": self._example()}, code="invalid")
        try:
            number = parse_decimal(text, locale=locale, strict=True)
        except NumberFormatError as exc:
            suggestions = getattr(exc, "suggestions", None)
            hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
            raise ValidationError(self.error_messages["invalid"] % {"example": self._example()} + hint,
                                  code="invalid") from None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"] % {"example": self._example()}, code="invalid")
        return number

    def _example(self) -> str:
        currency = self.currency or "USD"
        return format_currency(money.to_major(1250 * 10 ** money.currency_exponent(currency), currency),
                               currency, format="#,##0", currency_digits=True, locale=admin_locale())

    def to_minor_units(self, value: Decimal, currency: str) -> int:
        minor = money.to_minor(value, currency)
        if abs(minor) > MAX_MINOR:
            raise ValueError(f"Too large an amount. {money.too_large_message(currency)}")
        return minor

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if value < 0 and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        if value == 0 and not self.allow_zero:
            raise ValidationError(self.error_messages["not_positive"], code="not_positive")

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        try:
            typed = self.to_python(data)
        except ValidationError:
            return True
        if initial in (None, ""):
            return typed is not None
        if typed is None:
            return True
        if self.currency:
            try:
                return money.to_minor(typed, self.currency) != int(initial)
            except ValueError:
                return True
        return typed != Decimal(initial)


class _DecimalJSONDecoder(json.JSONDecoder):
    """Numbers with a decimal point read as Decimal: 0.1 stays one tenth."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, parse_float=Decimal, **kwargs)


class TiersField(forms.JSONField):
    """Price tiers as JSON, each tier's `flat_fee` typed and shown in major units like every amount
    ("5.00"); the form (`MoneyFormMixin`) stores it in minor units. Unit prices stay as typed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", '[{"up_to": 1000 or null, "unit_price": "0.01", "flat_fee": "5.00"}]: '
                                       "flat_fee in major units of the currency, unit_price up to 6 decimals.")
        super().__init__(encoder=DjangoJSONEncoder, decoder=_DecimalJSONDecoder, **kwargs)
        self.currency: str | None = None

    def bound_data(self, data, initial):
        # What was typed is shown again as typed: its flat fees are already major units.
        return initial if self.disabled or data is None else InvalidJSONInput(data)

    def prepare_value(self, value):
        if isinstance(value, list) and self.currency:
            value = [self._shown(tier) for tier in value]
        return super().prepare_value(value)

    def _shown(self, tier):
        fee = tier.get("flat_fee") if isinstance(tier, dict) else None
        if isinstance(fee, int) and not isinstance(fee, bool):
            return {**tier, "flat_fee": str(money.to_major(fee, self.currency))}
        return tier

    def to_python(self, value):
        tiers = super().to_python(value)
        if tiers is not None and not (isinstance(tiers, list) and all(isinstance(t, dict) for t in tiers)):
            raise ValidationError("Give a list of tiers, each an object.", code="invalid")
        return tiers

    def to_minor_units(self, tiers: list[dict], currency: str) -> list[dict]:
        stored = []
        for number, tier in enumerate(tiers, start=1):
            tier = dict(tier)
            if tier.get("flat_fee") not in (None, ""):
                try:
                    tier["flat_fee"] = money.amount_checked(money.to_minor(tier["flat_fee"], currency), currency)
                except money.UnknownCurrency:
                    raise
                except ValueError as exc:
                    raise ValueError(f"Tier {number}: flat_fee: {exc}") from None
            if isinstance(tier.get("unit_price"), Decimal):
                tier["unit_price"] = str(tier["unit_price"])
            stored.append(tier)
        return stored

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        try:
            typed = self.to_python(data)
        except ValidationError:
            return True
        shown = json.loads(self.prepare_value(initial), cls=_DecimalJSONDecoder) if initial is not None else None
        return _canonical(shown) != _canonical(typed)


def _canonical(tiers):
    """Tiers compared by value: "5.00" and 5 are the same fee, "0.010" and 0.01 the same price."""
    if not isinstance(tiers, list):
        return tiers
    return [{k: _number(v) if k in ("flat_fee", "unit_price") else v for k, v in tier.items()}
            if isinstance(tier, dict) else tier for tier in tiers]


def _number(value):
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return value


class MoneyFormMixin:
    """Turns the amounts of each `MoneyField` (and each `TiersField`'s flat fees) into integer minor
    units of the form's currency.

    The currency is the `currency` given to the form (an action on one invoice), else the
    form's own `currency_field` as typed, else the instance's (`currency_field` may then be a
    dotted path: `subscription.currency`). Put it before `forms.Form` or `forms.ModelForm`.
    """

    currency_field = "currency"

    def __init__(self, *args, currency: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_currency = currency
        typed = self.data.get(self.add_prefix(self.currency_field)) if self.is_bound else None
        known = currency or typed or self.initial.get(self.currency_field) or self._instance_currency()
        for field in self.money_fields().values():
            field.currency = known

    def _instance_currency(self) -> str | None:
        instance = getattr(self, "instance", None)
        try:
            return _path(instance, self.currency_field)
        except ObjectDoesNotExist:  # a new inline row, not yet tied to its parent
            return None

    def money_fields(self) -> dict:
        return {name: field for name, field in self.fields.items() if isinstance(field, MoneyField | TiersField)}

    def money_currency(self, data: dict) -> str | None:
        typed = data.get(self.currency_field) if self.currency_field in self.fields else None
        currency = self.fixed_currency or typed or self._instance_currency()
        return (currency or "").strip().upper() or None

    def missing_currency_message(self) -> str:
        return "Choose the currency of the amount."

    def clean(self):
        data = super().clean()
        currency = self.money_currency(data)
        for name, field in self.money_fields().items():
            value = data.get(name)
            if value in (None, []) or isinstance(value, int):
                continue
            where = self.currency_field if self.currency_field in self.fields else name
            if not currency:
                if where not in self.errors:
                    self.add_error(where, self.missing_currency_message())
                continue
            try:
                data[name] = field.to_minor_units(value, currency)
            except money.UnknownCurrency:
                if where not in self.errors:
                    self.add_error(where, f"{currency} is not an ISO 4217 currency code.")
            except ValueError as exc:  # more decimals than the currency has, too large
                self.add_error(name, str(exc))
        return data


class MoneyActionForm(MoneyFormMixin, forms.Form):
    """The form of an admin action: its amounts are in the currency of the selected rows."""

    def __init__(self, *args, currencies=(), **kwargs):
        self.currencies = sorted({c.upper() for c in currencies if c})
        super().__init__(*args, currency=self.currencies[0] if len(self.currencies) == 1 else None, **kwargs)

    def missing_currency_message(self) -> str:
        if len(self.currencies) > 1:
            return (f"The selection is in {' and '.join(self.currencies)}: "
                    "select rows of one currency to type an amount.")
        return super().missing_currency_message()

