"""Gap-free document numbers: a counter row per series and year, locked in the caller's transaction.

The number is taken in the same transaction that finalizes the document, so a
rollback gives it back; two finalizers queue on the row lock, so none is taken
twice. Never MAX()+1.
"""

from __future__ import annotations

from django.db import transaction

from billing.transitions import row_lock
from invoicing.models import NumberSequence


def number_take(*, series: str, year: int) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_take must run inside the transaction that uses the number")
    # The year's row, created once without racing a concurrent creator (ON CONFLICT DO NOTHING) ...
    NumberSequence.objects.bulk_create([NumberSequence(series=series, year=year)], ignore_conflicts=True)
    # ... then locked until our transaction ends: the next finalizer waits here.
    counter = row_lock(NumberSequence, series=series, year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return format_number(series, year, counter.last_value)


def number_take_many(*, series: str, year: int, count: int) -> list[str]:
    """`count` consecutive numbers from one lock of the counter row, for a transaction that uses
    every one of them (a bill-run chunk finalizing `count` drafts): still no gap, no duplicate.
    One statement: the year's row inserted if missing or else incremented, either way locked until
    our transaction ends (a concurrent finalizer's upsert waits on it, then adds to the value we
    committed), the new last value returned."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_take_many must run inside the transaction that uses the numbers")
    if count <= 0:
        return []
    connection = transaction.get_connection()
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (series, year, last_value) VALUES (%s, %s, %s) "  # noqa: S608
                       "ON CONFLICT (series, year) DO UPDATE SET last_value = "
                       f"{table}.last_value + EXCLUDED.last_value RETURNING last_value", [series, year, count])
        (last,) = cursor.fetchone()
    first = last - count + 1
    return [format_number(series, year, value) for value in range(first, first + count)]


def format_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:06d}"
