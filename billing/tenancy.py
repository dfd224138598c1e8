"""The row-level-security scope of the current request or job.

PostgreSQL policies trust one session setting, `billing.scope`, and only when it
holds a token that `billing_scope_enter(secret, operator, account_id)` minted for
this connection (billing/rls.py): one account's rows, or every row (the operator
scope, for finance staff, jobs and the webhook processor). Only trusted code enters
a scope, through the functions here, with RLS_SCOPE_SECRET, which SQL alone cannot
learn:

- `tenant_scope(account_id)` / `operator_scope()` as context managers (nestable),
- `activate(scope)` for the rest of a request (middleware and API authentication),
  undone by `reset()` at the request boundary.

With no valid token, tenant tables return no rows: isolation fails closed. A new
database connection gets the current scope applied as it opens, so a reconnect
never drops it, and a pooled or persistent connection never carries a previous
request's scope past `reset()`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from django.conf import settings
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
    if scope.is_empty:
        # Narrowing to nothing needs no secret.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('billing.scope', '', false)")
    else:
        connection.ensure_connection()
        # psycopg's own cursor binds parameters on the server: the secret stays out of the
        # statement text that pg_stat_activity shows to every session of the application role
        # (Django's cursor would inline it), and out of Django's query log.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute("SELECT billing_scope_enter(%s::text, %s::boolean, %s::bigint)",
                           [settings.RLS_SCOPE_SECRET, scope.operator,
                            None if scope.account_id is None else int(scope.account_id)])
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
