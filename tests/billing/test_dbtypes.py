"""timestamptz values read through psycopg's C loader are the ones Django's own loader returns."""

import datetime

from django.db import connection

from billing.dbtypes import UtcTimestamptzLoader

VALUES = ("2026-11-21 10:31:07.123456+00", "2026-03-29 01:30:00+02", "2024-02-29 23:59:59.999999-05:30",
          "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00", "2026-01-31 00:00:00+00")


def _read(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_connections_use_the_c_loader(db):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader is UtcTimestamptzLoader
    assert loader.timezone is connection.timezone  # what Django's cursors check before registering their own


def test_the_same_datetimes_as_djangos_loader(db):
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    sql = "SELECT v::timestamptz FROM unnest(%s::text[]) AS v"
    fast = _read(sql, [list(VALUES)])
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's Python loader, on this cursor only
        cursor.execute(sql, [list(VALUES)])
        django_made = [row[0] for row in cursor.fetchall()]
    assert fast == django_made
    assert [v.isoformat() for v in fast] == [v.isoformat() for v in django_made]
    assert all(v.tzinfo is datetime.UTC for v in fast)


def test_models_read_aware_utc_datetimes(make_account, operator):
    from billing.models import Account

    account = make_account("Acme")
    read = Account.objects.get(pk=account.pk).created_at
    assert read == account.created_at
    assert read.tzinfo is datetime.UTC
