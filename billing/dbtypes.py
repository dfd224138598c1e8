"""Reading `timestamptz` columns with psycopg's C loader instead of Django's Python one.

Django registers its own loader for `timestamptz` on every connection (a subclass of psycopg's
pure-Python loader, parsing each value in Python, then setting the connection's tzinfo). It
was the bill run's largest single cost in reading rows: about a tenth of a chunk's CPU in
Python. psycopg's C loader returns the same datetime (UTC, `datetime.timezone.utc`) when the
session's TimeZone is UTC, which Django sets on connect when USE_TZ is on and the database's
TIME_ZONE is unset; only then is it used. Its class cannot be subclassed, so a thin loader
carries the `timezone` attribute Django's cursors check and hands each value to it.
"""

from __future__ import annotations

import datetime

from django.db.backends.signals import connection_created
from django.dispatch import receiver

try:
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    _TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
    _C_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)
    if not _C_LOADER.__module__.startswith("psycopg_binary"):  # the pure-Python build: nothing to gain
        _C_LOADER = None
except ImportError:  # pragma: no cover - psycopg 3 with its binary build is a dependency
    _C_LOADER = None


if _C_LOADER is not None:

    class UtcTimestamptzLoader(Loader):
        """Django's `SpecificTzLoader` for UTC (its `timezone` attribute included), parsing in C."""

        timezone = datetime.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = _C_LOADER(oid, context).load  # the C loader's bound method, per instance

        def load(self, data):  # pragma: no cover - replaced per instance in __init__
            raise NotImplementedError


def fast_timestamptz(connection) -> bool:
    """Use the C loader on this Django connection (already connected) if it returns what Django's would."""
    if _C_LOADER is None or connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return False
    raw = connection.connection
    if raw is None or raw.pgconn.parameter_status(b"TimeZone") != b"UTC":
        return False
    raw.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
    return True


@receiver(connection_created, dispatch_uid="billing_fast_timestamptz")
def _on_connect(sender, connection, **kwargs):
    fast_timestamptz(connection)
