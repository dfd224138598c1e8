"""Strict API input: the base class of every input serializer (`StrictInput`), of every
query-string serializer (`StrictQuery`), and the fields they are made of.

Why: DRF's own fields coerce, and its serializers drop what they do not know. For a
billing API both lose money without a word: `"flat_amount": "99.00"` became 99 cents,
a `blocksize` typo was dropped and "$0.50 per 1,000" billed per unit, `"quantityy": 3`
gave quantity 1, `{"name": 123}` was stored as "123". Here:

- a key the serializer does not declare is refused by name (`{"blocksize": ["Unknown field."]}`);
- each field takes only the JSON type it names: a string for an integer, a number for a
  string, a string or a number for a boolean are refused, not converted (`bool` is not
  an integer);
- money in minor units (`MinorUnitsField`) is a JSON integer of at most 10^13
  (`pricing.money.MAX_AMOUNT`), and the error says the unit; decimals (unit prices, up
  to 6 places) are JSON strings such as "0.000001";
- integers are range-checked against the column they end up in (`.of(Model, "column")`
  reads smallint/integer/bigint/positive from the model), so no value can overflow it;
  string lengths come from the columns the same way;
- NUL (U+0000), which PostgreSQL refuses in text and jsonb, is refused in every string,
  and in every key and string inside a JSON object (`metadata.a.b`).

Every input serializer of the API derives from `StrictInput` (or `StrictQuery`) and
uses only the fields below; tests/billing/test_strict_inputs_everywhere.py walks every
API view and fails for one that does not. docs/api.md, "Money and strict input",
describes the rules for API users.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from django.contrib.postgres.fields import ArrayField
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.db import connection, models
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty

from pricing.money import MAX_AMOUNT

UNKNOWN_FIELD = "Unknown field."
UNKNOWN_PARAMETER = "Unknown parameter."
REPEATED_PARAMETER = "Give this parameter once."
NUL_REFUSED = "Must not contain the NUL character (\\u0000)."
MONEY_INVALID = "Must be an integer number of minor units (cents for USD), e.g. 9900 for 99.00."
INTEGER_INVALID = "Must be an integer (a JSON number without a fraction, not a string)."
DECIMAL_INVALID = 'Must be a decimal number as a JSON string, e.g. "0.25": a JSON number with a fraction may lose digits.'
BOOLEAN_INVALID = "Must be true or false (a JSON boolean, not a string or a number)."
STRING_INVALID = "Must be a string."
DATETIME_INVALID = "Must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T00:00:00Z."
DATE_INVALID = "Must be a date, e.g. 2026-11-01."
# Dates outside these years are no billing date; the bounds keep every period computed
# from one (plus intervals, grace periods, days) inside what Python and PostgreSQL hold.
FIRST_YEAR, LAST_YEAR = 1970, 8999
DATE_RANGE = f"Must be in the years {FIRST_YEAR} to {LAST_YEAR}."
# Query-string parameters the paginator reads (billing/api/pagination.py), allowed beside a query serializer's.
PAGINATION_PARAMETERS = ("limit", "cursor")
_QUERY_INTEGER = re.compile(r"-?[0-9]{1,40}")


def _printable(name: str) -> str:
    """A key as an error may name it: NUL spelled out, not sent back raw."""
    return name.replace("\x00", "\\u0000")


# --- reading the model's columns ---------------------------------------------------------------------------------


def _column(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if field.is_relation:
        field = field.target_field
    if isinstance(field, ArrayField):
        field = field.base_field
    return field


def column_range(model: type[models.Model], name: str) -> tuple[int, int]:
    """(least, greatest) integer the column takes: its type's range on our database (smallint,
    integer, bigint, positive or not) narrowed by the model's own Min/MaxValueValidators; ids start at 1."""
    field = _column(model, name)
    least, greatest = connection.ops.integer_field_range(field.get_internal_type())
    if field.primary_key:
        least = max(least or 1, 1)
    for validator in field.validators:
        limit = validator.limit_value
        if callable(limit):
            continue
        if isinstance(validator, MinValueValidator):
            least = limit if least is None else max(least, limit)
        elif isinstance(validator, MaxValueValidator):
            greatest = limit if greatest is None else min(greatest, limit)
    return least, greatest


def column_max_length(model: type[models.Model], name: str) -> int | None:
    return _column(model, name).max_length


# --- fields --------------------------------------------------------------------------------------------------------


class StrictField:
    """Marks a field that takes only the JSON type it names (the test of every endpoint looks for it)."""


def _reads_query_string(field) -> bool:
    """Query-string values are all text: integers, booleans and the rest are parsed from their usual spelling."""
    return isinstance(field.root, StrictQuery)


class _Text(StrictField):
    default_error_messages = {"not_a_string": STRING_INVALID}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(ProhibitNullCharactersValidator(message=NUL_REFUSED))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)

    @classmethod
    def of(cls, model: type[models.Model], column: str, **kwargs):
        """A field as long as `model.column` allows (a TextField: no limit but the body's)."""
        max_length = column_max_length(model, column)
        if max_length is not None:
            kwargs["max_length"] = min(kwargs.get("max_length", max_length), max_length)
        return cls(**kwargs)


class StrictCharField(_Text, serializers.CharField):
    """A JSON string; NUL refused."""


class StrictSlugField(_Text, serializers.SlugField):
    """A JSON string of letters, digits, hyphens and underscores (codes)."""


class StrictEmailField(_Text, serializers.EmailField):
    """A JSON string holding an email address."""


class StrictChoiceField(StrictField, serializers.ChoiceField):
    """One of the choices, given as the JSON string itself."""

    default_error_messages = {"invalid_choice": "Must be one of {choices}."}

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, str) and data in self.choice_strings_to_values:
            return self.choice_strings_to_values[data]
        self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))


class StrictBooleanField(StrictField, serializers.BooleanField):
    """JSON true or false (in a query string: true or false)."""

    default_error_messages = {"invalid": BOOLEAN_INVALID, "query_invalid": "Must be true or false."}
    default_empty_html = empty  # a boolean missing from a query string is missing, not false

    def to_internal_value(self, data):
        if _reads_query_string(self):
            if data in ("true", "false"):
                return data == "true"
            self.fail("query_invalid")
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictIntegerField(StrictField, serializers.IntegerField):
    """A JSON integer (not a bool, not a string, not 3.0) within [min_value, max_value].

    Both bounds are required: build it with `.of(Model, "column")`, which takes them from
    the column the value is stored in (narrow them with min_value/max_value)."""

    default_error_messages = {"invalid": INTEGER_INVALID, "query_invalid": "Must be a whole number.",
                              "max_value": "Must be at most {max_value}.", "min_value": "Must be at least {min_value}."}

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        if min_value is None or max_value is None:
            raise TypeError(f"{type(self).__name__} needs both bounds: build it with .of(Model, 'column').")
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_internal_value(self, data):
        if _reads_query_string(self):
            if isinstance(data, str) and _QUERY_INTEGER.fullmatch(data):
                return int(data)
            self.fail("query_invalid")
        if type(data) is int:  # bool is an int subclass: True is not 1 here
            return data
        self.fail("invalid")

    @classmethod
    def of(cls, model: type[models.Model], column: str, *, min_value: int | None = None,
           max_value: int | None = None, **kwargs):
        """A field for what `model.column` can hold, optionally narrower (e.g. min_value=1)."""
        least, greatest = column_range(model, column)
        return cls(min_value=least if min_value is None else max(least, min_value),
                   max_value=greatest if max_value is None else min(greatest, max_value), **kwargs)


class MinorUnitsField(StrictIntegerField):
    """Money: an integer number of the currency's minor units (9900 = 99.00 USD, 1500 = ¥1,500).

    At most MAX_AMOUNT (10^13) either way, however wide the column: what is derived from an amount
    (seats x seat price, a line's tax, an invoice's total) must fit the columns too (pricing/money.py)."""

    default_error_messages = {"invalid": MONEY_INVALID, "max_value": "Must be at most {max_value} minor units.",
                              "min_value": "Must be at least {min_value} minor units."}

    def __init__(self, *, min_value: int = -MAX_AMOUNT, max_value: int = MAX_AMOUNT, **kwargs):
        kwargs.setdefault("help_text", "Minor units of the currency, as a JSON integer (9900 = 99.00 USD).")
        super().__init__(min_value=max(min_value, -MAX_AMOUNT), max_value=min(max_value, MAX_AMOUNT), **kwargs)


class StrictDecimalField(StrictField, serializers.DecimalField):
    """A decimal as a JSON string ("0.000001"), or a whole number as a JSON integer; never a float."""

    default_error_messages = {"not_a_decimal": DECIMAL_INVALID, "max_value": "Must be at most {max_value}.",
                              "min_value": "Must be at least {min_value}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("not_a_decimal")
        return super().to_internal_value(data)

    @classmethod
    def of(cls, model: type[models.Model], column: str, **kwargs):
        """As many digits and decimal places as `model.column` holds."""
        field = _column(model, column)
        return cls(max_digits=field.max_digits, decimal_places=field.decimal_places, **kwargs)


class StrictDateTimeField(StrictField, serializers.DateTimeField):
    """An RFC 3339 date-time with an offset, as a JSON string; a time without one is ambiguous."""

    default_error_messages = {"invalid": DATETIME_INVALID, "range": DATE_RANGE}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.fail("invalid")
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            self.fail("range")
        return super().to_internal_value(value)


class StrictDateField(StrictField, serializers.DateField):
    """A date (2026-11-01) as a JSON string."""

    default_error_messages = {"invalid": DATE_INVALID, "range": DATE_RANGE}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, date):
            self.fail("invalid")
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            self.fail("range")
        return super().to_internal_value(value)


class StrictListField(StrictField, serializers.ListField):
    """A JSON array whose items are all the (strict) child field."""


class StrictDictField(StrictField, serializers.DictField):
    """A JSON object whose values are all the (strict) child field; NUL refused in keys."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            bad_keys = {_printable(key): [NUL_REFUSED] for key in data if "\x00" in str(key)}
            if bad_keys:
                raise ValidationError(bad_keys)
        return super().to_internal_value(data)


class StrictJSONObjectField(StrictField, serializers.DictField):
    """Free-form JSON object (metadata), kept as given: NUL is refused in every key and string
    inside it, the error naming the dotted path (`metadata.tags.2`)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        errors = {path: [NUL_REFUSED] for path in nul_paths(data)}
        if errors:
            raise ValidationError(errors)
        return data


def nul_paths(value) -> list[str]:
    """The dotted paths, inside a decoded JSON value, of every key or string holding NUL
    ("" for the value itself). A loop, not recursion: the depth is the client's."""
    found, pending = [], [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in str(key):
                    found.append(".".join((*path, _printable(str(key)))))
                else:
                    pending.append(((*path, str(key)), child))
        elif isinstance(item, list):
            pending.extend(((*path, str(index)), child) for index, child in enumerate(item))
        elif isinstance(item, str) and "\x00" in item:
            found.append(".".join(path))
    return sorted(found)


# --- serializers ---------------------------------------------------------------------------------------------------


class StrictInput(serializers.Serializer):
    """The base class of every API input serializer (JSON bodies).

    Refuses keys it does not declare, naming each (`{"blocksize": ["Unknown field."]}`),
    together with any other field errors, so one answer lists everything wrong. Use only
    the strict fields of billing/api/strict.py in it (and other StrictInput serializers).
    Operator endpoints added later (tax rates, metrics, ...) derive from it too.
    """

    unknown_message = UNKNOWN_FIELD
    allowed_extra_keys: tuple[str, ...] = ()

    def to_internal_value(self, data):
        problems = self.key_problems(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if problems and isinstance(exc.detail, dict):
                raise ValidationError({**exc.detail, **problems}) from None
            raise
        if problems:
            raise ValidationError(problems)
        return value

    def key_problems(self, data: Mapping) -> dict[str, list[str]]:
        writable = {name for name, field in self.fields.items() if not field.read_only}
        return {_printable(str(key)): [self.unknown_message] for key in data
                if key not in writable and key not in self.allowed_extra_keys}


class StrictQuery(StrictInput):
    """The base class of serializers that read a query string (`Query(data=request.query_params)`).

    Values arrive as text, so strict fields parse their usual spelling (`42`, `true`,
    `2026-11-01`) rather than JSON types. Unknown parameters are refused, except the
    paginator's `limit` and `cursor`; a parameter given twice is refused too (which one
    would count is a guess).
    """

    unknown_message = UNKNOWN_PARAMETER
    allowed_extra_keys = PAGINATION_PARAMETERS

    def key_problems(self, data: Mapping) -> dict[str, list[str]]:
        problems = super().key_problems(data)
        if hasattr(data, "getlist"):
            problems |= {_printable(key): [REPEATED_PARAMETER] for key in data
                         if key not in problems and len(data.getlist(key)) > 1}
        return problems


class NoFields(StrictInput):
    """The body of an endpoint that takes none."""


def expect_no_fields(request) -> None:
    """For endpoints that take no body: nothing or `{}`. A field sent to one is refused by name
    rather than ignored (`{"resume_at": ...}` sent to /resume would otherwise resume now)."""
    NoFields(data=request.data).is_valid(raise_exception=True)


class NoParameters(StrictQuery):
    """The query string of a list that has no filters: only `limit` and `cursor`."""


def expect_no_parameters(request) -> None:
    """For lists without filters: a parameter is refused rather than ignored (`/credit-notes?invoice_id=7`
    would otherwise list every credit note)."""
    NoParameters(data=request.query_params).is_valid(raise_exception=True)


class StrictInputSchema(OpenApiSerializerExtension):
    """The OpenAPI schema says what the serializer enforces: no properties but its own."""

    target_class = StrictInput
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if "__doc__" not in vars(type(self.target)) or not type(self.target).__doc__:
            schema.pop("description", None)  # not the base class's docstring, which is for developers
        if not isinstance(self.target, StrictQuery):
            schema["additionalProperties"] = False
        return schema
