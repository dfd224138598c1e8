"""Streamed CSV: rows are written as they are read, so an export of a million rows holds one chunk in
memory (Python's csv module over Django's StreamingHttpResponse; tablib would build the whole table)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date

from django.http import StreamingHttpResponse

from billing import tenancy
from exports import journal
from exports.tables import TABLES

JOURNAL = "journal"
KINDS = [*TABLES, JOURNAL]


class _Echo:
    """A file whose write returns the text, for csv.writer to hand each line to the response."""

    def write(self, value: str) -> str:
        return value


def header_of(kind: str) -> list[str]:
    return journal.HEADER if kind == JOURNAL else TABLES[kind].header


def rows_of(kind: str, start: date, end: date) -> Iterator[list]:
    return journal.rows(start, end) if kind == JOURNAL else TABLES[kind].rows(start, end)


def _lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    # The response is read after the request's scope is reset: the rows are read in the operator scope
    # (finance staff and operator keys only reach this), with row-level security still on.
    with tenancy.operator_scope():
        for row in rows:
            yield writer.writerow(row)


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(kind: str, start: date, end: date) -> StreamingHttpResponse:
    return csv_response(f"{kind}_{start.isoformat()}_{end.isoformat()}.csv", header_of(kind),
                        rows_of(kind, start, end))
