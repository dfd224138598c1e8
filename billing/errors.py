"""Domain errors shared by every app; the API maps each to one HTTP status and code.

Apps raise these (or subclasses with their own `code`) from services; API views
never build error responses by hand.
"""

from __future__ import annotations


class BillingError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", *, fields: dict | None = None, code: str | None = None):
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(BillingError):
    """Some fields are invalid."""

    status = 400
    code = "validation_error"

    def __init__(self, fields: dict, message: str = "Some fields are invalid."):
        super().__init__(message, fields={k: v if isinstance(v, list) else [v] for k, v in fields.items()})


def value_checked(check, value, errors: dict):
    """`check(value)`; when it refuses, its field errors go into `errors` and `value` comes back as it was, so a
    service reports every invalid field at once rather than the first."""
    try:
        return check(value)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        return value


class NotFound(BillingError):
    """Not found."""

    status = 404
    code = "not_found"


class InvalidTransition(BillingError):
    """The object is not in a state that allows this action."""

    status = 409
    code = "invalid_state_transition"


class Conflict(BillingError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class AmountTooLarge(BillingError):
    """An amount would pass what billing can hold (the bounds in pricing/money.py)."""

    status = 422
    code = "amount_too_large"
