"""The row-level-security scope of the current request or job.

PostgreSQL policies read two settings: `rls.tenant_id` (one account's rows) and
`rls.operator` (every row, for finance staff, jobs and the webhook processor).
Only trusted code sets them, through the functions here:

- `tenant_scope(account_id)` / `operator_scope()` as context managers (nestable),
- `activate(scope)` for the rest of a request (middleware and API authentication),
  undone by `reset()` at the request boundary.

With neither set, tenant tables return no rows: isolation fails closed. A new
database connection gets the current scope applied as it opens, so a reconnect
never drops it, and a pooled or persistent connection never carries a previous
request's scope past `reset()`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver


@dataclass(frozen=True)
class Scope:
    account_id: int | None = None
    operator: bool = False

    @property
    def is_empty(self) -> bool:
        return self.account_id is None and not self.operator


NO_SCOPE = Scope()
OPERATOR = Scope(operator=True)
_current: ContextVar[Scope] = ContextVar("billing_rls_scope", default=NO_SCOPE)


def current() -> Scope:
    return _current.get()


def _apply(scope: Scope, using: str = "default", *, fresh_connection: bool = False) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    # Skip the round trip when this connection already holds the scope. Only a value
    # set outside a transaction is remembered: one set inside could be undone by a
    # rollback without our knowing.
    if not fresh_connection and getattr(connection, "_billing_scope", None) == scope:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('rls.tenant_id', %s, false), set_config('rls.operator', %s, false)",
            ["" if scope.account_id is None else str(int(scope.account_id)),
             "on" if scope.operator else ""],
        )
    connection._billing_scope = None if connection.in_atomic_block else scope


def activate(scope: Scope) -> None:
    """Set the scope for what follows (until `reset()` or another `activate`)."""
    _current.set(scope)
    _apply(scope)


def reset() -> None:
    """Back to no scope: called at the start and end of every request."""
    _current.set(NO_SCOPE)
    if connections["default"].connection is not None:
        _apply(NO_SCOPE)


@contextmanager
def _scoped(scope: Scope):
    previous = _current.get()
    activate(scope)
    try:
        yield scope
    finally:
        _current.set(previous)
        if connections["default"].connection is not None:
            _apply(previous)


def tenant_scope(account_id: int):
    """Rows of one account only."""
    if account_id is None:
        raise ValueError("tenant_scope needs an account id")
    return _scoped(Scope(account_id=int(account_id)))


def operator_scope():
    """Every account's rows: finance staff, Celery jobs, the webhook processor."""
    return _scoped(OPERATOR)


@receiver(connection_created, dispatch_uid="billing_apply_scope_on_connect")
def _apply_scope_on_connect(sender, connection, **kwargs):
    if connection.alias == "default":
        _apply(_current.get(), connection.alias, fresh_connection=True)
