"""How an app declares, reads and checks its settings: one convention for every app.

Each app declares its settings once, in `<app>/conf.py`, as a subclass of `AppSettings`: a flat
name that is also the environment variable's, what kind of value it holds, its default, what it
allows and the line that documents it (docs/configuration.md shows the same line, a test keeps
them equal). Then:

- `config/settings/<app>.py` reads them from the environment: `SETTINGS.from_environment(env)`;
- code reads them as `<app>.conf.settings.NAME`, from `django.conf.settings` at call time (so
  `override_settings` in tests keeps working), or the declared default when the setting is absent;
- `AppConfig.ready()` calls `refuse_bad_settings()`: Django's system check of the app's settings
  is registered, and a bad value stops the process there and then, naming the setting and what it
  allows. ready() because `django.setup()` runs no system checks, and that is all that Celery
  workers, beat and granian's WSGI workers do; manage.py commands stop the same way.

An environment value that cannot be read as its kind (`METERING_MAX_BATCH=lots`) is kept as text,
so the check reports it by name instead of a bare ValueError while the settings load.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any, Generic, TypeVar, overload

from django.conf import settings as django_settings  # lazy: nothing is read until a setting is

T = TypeVar("T")

# Check ids, `<app>.<id>` (docs/configuration.md, "Start-up checks").
WRONG_KIND = "E001"
NOT_A_CHOICE = "E002"
OUT_OF_RANGE = "E003"
EMPTY = "E004"
REFUSED = "E005"
CONTRADICTION = "E006"
DOUBTFUL = "W001"
CHECK_TAG = "settings"


class Kind:
    """What a setting holds, read from the environment's text and written back as text."""

    description = "a value"

    def parse(self, text: str) -> Any:
        return text

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def normalize(self, value: Any) -> Any:
        return value

    def as_text(self, value: Any) -> str:
        return str(value)


class Text(Kind):
    description = "text"


class WholeNumber(Kind):
    description = "a whole number"

    def parse(self, text: str) -> int:
        return int(text.strip())

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)


class Flag(Kind):
    description = "true or false"
    TRUE = ("true", "on", "ok", "y", "yes", "1")  # what django-environ reads as true
    FALSE = ("false", "off", "n", "no", "0", "")

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in self.TRUE:
            return True
        if word in self.FALSE:
            return False
        raise ValueError(text)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def as_text(self, value: Any) -> str:
        return "true" if value else "false"


class TextList(Kind):
    description = "a comma-separated list"

    def parse(self, text: str) -> list[str]:
        return [item.strip() for item in text.split(",") if item.strip()]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)

    def as_text(self, value: Any) -> str:
        return ",".join(str(item) for item in value)


class WholeNumberList(TextList):
    description = "a comma-separated list of whole numbers"

    def parse(self, text: str) -> list[int]:
        return [int(item) for item in super().parse(text)]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and all(WholeNumber().accepts(item) for item in value)


class DecimalNumber(Kind):
    """A decimal number such as 0.5 or 1000.00: held as text or Decimal, read as Decimal, never a float."""

    description = "a decimal number such as 0.5"

    def parse(self, text: str) -> Decimal:
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(text) from None
        if not number.is_finite():
            raise ValueError(text)
        return number

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
            return False
        try:
            self.parse(str(value))
        except ValueError:
            return False
        return True

    def normalize(self, value: Any) -> Any:
        return self.parse(str(value)) if self.accepts(value) else value


Rule = Callable[[Any], str | None]  # a value -> what is wrong with it, or None
_ABSENT = object()


class Setting(Generic[T]):
    """One setting: its kind, default and limits, and the line that documents it."""

    def __init__(self, kind: Kind, default: T | Callable[[Any], T], *, doc: str, choices: Sequence = (),
                 minimum: int | Decimal | None = None, maximum: int | Decimal | None = None,
                 required: bool = False, most_items: int | None = None, rule: Rule | None = None,
                 default_note: str = ""):
        self.kind, self.default, self.doc = kind, default, doc
        self.choices, self.minimum, self.maximum = tuple(choices), minimum, maximum
        self.required, self.most_items, self.rule = required, most_items, rule
        # docs/configuration.md's default column: the default as the environment writes it, then
        # this (a computed default is described by this alone).
        self.default_note = default_note
        self.name = ""
        # Read on every request by the hot paths (the fast lanes): no call for a kind that keeps values as they are.
        self._normalize = None if type(kind).normalize is Kind.normalize else kind.normalize

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: AppSettings, owner: type) -> T: ...

    def __get__(self, instance, owner):
        if instance is None:
            return self
        value = getattr(django_settings, self.name, _ABSENT)
        if value is _ABSENT:
            return self.default_for(instance)
        return value if self._normalize is None else self._normalize(value)

    def default_for(self, values: Any) -> T:
        """The default; a computed one is worked out from the other settings in `values`."""
        default = self.default(values) if callable(self.default) else self.default
        return list(default) if isinstance(default, list) else default  # a copy: settings lists may be changed

    def from_text(self, text: str) -> Any:
        try:
            return self.kind.parse(text)
        except ValueError:
            return text  # reported by the check, by name

    def documented_default(self) -> str:
        if callable(self.default):
            return self.default_note
        text = self.kind.as_text(self.default)
        return (f"`{text}`" if text else "empty") + self.default_note

    def complaint(self, value: Any) -> tuple[str, str] | None:
        """(check id, what is wrong) for a value this setting refuses, else None."""
        if not self.kind.accepts(value):
            return WRONG_KIND, f"it must be {self.kind.description}"
        value = self.kind.normalize(value)
        items = value if isinstance(value, list | tuple) else [value]
        if self.required and (not items or items == [""]):
            return EMPTY, "it must not be empty"
        if self.choices and any(item not in self.choices for item in items):
            return NOT_A_CHOICE, f"allowed: {_either(self.choices)}"
        if self.minimum is not None and any(item < self.minimum for item in items):
            return OUT_OF_RANGE, f"it must be at least {self.minimum}"
        if self.maximum is not None and any(item > self.maximum for item in items):
            return OUT_OF_RANGE, f"it must be at most {self.maximum}"
        if self.most_items is not None and len(items) > self.most_items:
            return OUT_OF_RANGE, f"it may hold at most {self.most_items} values"
        problem = self.rule(value) if self.rule else None
        return (REFUSED, problem) if problem else None


class AppSettings:
    """An app's declared settings; an instance reads their current values (`conf.settings.NAME`)."""

    app_label = ""
    every: list[type[AppSettings]] = []  # each app's, in the order config/settings imported them

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        AppSettings.every.append(cls)

    @classmethod
    def declared(cls) -> list[Setting]:
        found: dict[str, Setting] = {}
        for klass in reversed(cls.__mro__):
            found.update({name: value for name, value in vars(klass).items() if isinstance(value, Setting)})
        return list(found.values())

    @classmethod
    def defaults(cls) -> SimpleNamespace:
        values = SimpleNamespace()
        for setting in cls.declared():
            setattr(values, setting.name, setting.default_for(values))
        return values

    @classmethod
    def from_environment(cls, env) -> dict[str, Any]:
        """Every declared setting, from its environment variable (same name) or its default."""
        values = SimpleNamespace()
        for setting in cls.declared():
            if setting.name in env.ENVIRON:
                value = setting.from_text(env.str(setting.name))
            else:
                value = setting.default_for(values)
            setattr(values, setting.name, value)
        return vars(values)

    def check(self) -> list:
        """Django check messages for every value refused, then for settings that contradict each other."""
        from django.core.checks import Error

        messages = []
        for setting in self.declared():
            value = getattr(self, setting.name)
            complaint = setting.complaint(value)
            if complaint:
                code, problem = complaint
                messages.append(Error(f"{setting.name} is {_shown(value)}: {problem}.", id=f"{self.app_label}.{code}",
                                      hint=f"Set {setting.name} in the environment (docs/configuration.md)."))
        if not messages:
            messages += self.check_together()
        return messages

    def check_together(self) -> list:
        """Rules over several settings, checked once each one is valid on its own; see subclasses."""
        return []

    def error(self, message: str, *names: str):
        """A contradiction between settings, for `check_together`."""
        from django.core.checks import Error

        return Error(message, id=f"{self.app_label}.{CONTRADICTION}",
                     hint=f"Set {' or '.join(names)} in the environment (docs/configuration.md).")

    def warning(self, message: str, name: str):
        from django.core.checks import Warning

        return Warning(message, id=f"{self.app_label}.{DOUBTFUL}",
                       hint=f"Set {name} in the environment (docs/configuration.md).")


def refuse_bad_settings(app_settings: AppSettings) -> None:
    """From AppConfig.ready(): register the app's settings check, and stop the process on any error.

    The first app to get here checks every app's settings declared so far (config/settings imports
    them all), so one start names every wrong setting, not one app's at a time.
    """
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    def settings_check(app_configs=None, **kwargs):
        if app_configs is not None and app_settings.app_label not in {c.label for c in app_configs}:
            return []
        return app_settings.check()

    settings_check.__name__ = f"{app_settings.app_label}_settings_check"
    checks.register(settings_check, CHECK_TAG)
    errors = [message for declared in AppSettings.every for message in declared().check() if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("These settings are wrong (docs/configuration.md):\n"
                                   + "\n".join(str(error) for error in errors))


def _either(choices: Sequence) -> str:
    words = [str(choice) for choice in choices]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return repr(",".join(str(item) for item in value)) if value else "empty"
    if value == "":
        return "empty"
    return repr(str(value)) if isinstance(value, Decimal) else repr(value)


# Rules shared by several apps.

def iso_country(value: str) -> str | None:
    import pycountry

    if len(value) != 2 or pycountry.countries.get(alpha_2=value) is None:
        return "it must be an ISO 3166-1 alpha-2 country code such as FR or DE"
    return None


def iso_currency(value: str) -> str | None:
    from pricing.money import UnknownCurrency, currency_exponent

    try:
        currency_exponent(value.upper())  # read in capitals where used
    except UnknownCurrency:
        return "it must be an ISO 4217 currency code such as USD or EUR"
    return None


def hex_colour(value: str) -> str | None:
    """A colour as `#rrggbb`: written into the console's stylesheet, so nothing else may pass."""
    import re

    return None if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else "it must be a colour written #rrggbb, such as #2f5bea"


def email_addresses(values: Sequence[str]) -> str | None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    for address in values:
        try:
            validate_email(address)
        except ValidationError:
            return f"{address!r} is not an email address"
    return None


def web_address(value: str) -> str | None:
    """An absolute http(s) URL, or empty."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    if not value:
        return None
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return "it must be an http:// or https:// address"
    return None
