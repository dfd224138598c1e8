"""The invoice-lines CSV export streamed over 100,000 and then 1,000,000 lines, against PostgreSQL's own
`COPY (the same query) TO STDOUT` in the same run.

    .venv/bin/python bench/exports.py [--sizes 100000,1000000]

Builds a throwaway database with one account and one finalized invoice, multiplies its lines in SQL,
then writes the export (exports.tables, the code the admin and the API stream) into a sink that only
counts bytes, as the web server would hand each line to the client. Prints rows per second, the ratio to
COPY, and how much the process's peak memory grew during the export: a streamed export holds one chunk
of rows, so the growth should not follow the number of rows.

The last line reads `exports: <N> lines <R> rows/s, ratio to COPY <X>, peak memory growth <MB> MB`.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, throwaway_database  # noqa: E402


class CountingSink:
    def __init__(self):
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)


def setup() -> tuple[int, int]:
    from billing import tenancy
    from billing.services import account_create
    from invoicing.services import invoice_finalize
    from tests.invoicing.factories import draft

    with tenancy.operator_scope():
        account = account_create(name="Bench", external_id="bench")
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00")))
        return invoice.pk, invoice.lines.get().pk


def multiply_lines(template_id: int, count: int, start: int) -> float:
    from django.db import connection, transaction

    from billing import tenancy

    began = time.monotonic()
    with tenancy.operator_scope(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'invoicing_invoiceline' "
                       "AND column_name NOT IN ('id', 'position') ORDER BY ordinal_position")
        columns = ", ".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"INSERT INTO invoicing_invoiceline (position, {columns}) "  # noqa: S608 (our own names)
                       f"SELECT g, {columns} FROM invoicing_invoiceline, generate_series(%s, %s) g WHERE id = %s",
                       [start + 1, start + count, template_id])
        cursor.execute("ANALYZE invoicing_invoiceline")
    return time.monotonic() - began


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(day: date) -> tuple[int, float, float]:
    from billing import tenancy
    from exports.tables import TABLES

    table = TABLES["invoice_lines"]
    sink = CountingSink()
    writer = csv.writer(sink)
    before = peak_mb()
    began = time.monotonic()
    rows = 0
    with tenancy.operator_scope():
        writer.writerow(table.header)
        for row in table.rows(day - timedelta(days=1), day + timedelta(days=1)):
            writer.writerow(row)
            rows += 1
    return rows, time.monotonic() - began, peak_mb() - before


def copy_baseline(day: date) -> float:
    import psycopg
    from django.db import connection

    from billing import tenancy
    from exports.tables import TABLES

    query = TABLES["invoice_lines"].queryset(day - timedelta(days=1), day + timedelta(days=1))
    text, params = query.query.sql_with_params()
    began = time.monotonic()
    with tenancy.operator_scope():
        connection.ensure_connection()
        statement = psycopg.ClientCursor(connection.connection).mogrify(text, params)
        size = 0
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY ({statement}) TO STDOUT WITH CSV") as copy:
            for chunk in copy:
                size += len(chunk)
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with throwaway_database("bench_exports") as env:
        django_setup(env)
        from billing import clock

        invoice_id, line_id = setup()
        day = clock.now().date()
        loaded, line = 1, ""
        for size in sizes:
            seconds = multiply_lines(line_id, size - loaded, loaded)
            loaded = size
            rows, export_seconds, growth = export(day)
            baseline = copy_baseline(day)
            print(f"{rows:,} lines: loaded in {seconds:.0f} s; export {export_seconds:.1f} s "
                  f"({rows / export_seconds:,.0f} rows/s), COPY {baseline:.1f} s, peak memory growth {growth:.0f} MB",
                  flush=True)
            line = (f"exports: {rows:,} lines {rows / export_seconds:,.0f} rows/s, ratio to COPY "
                    f"{export_seconds / baseline:.1f}, peak memory growth {growth:.0f} MB")
        print(line)


if __name__ == "__main__":
    main()
