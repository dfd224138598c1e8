"""Importing usage from CSV or NDJSON files, with the same guarantees as the API.

Each line is one event (CSV: a header row naming the event fields; `properties`
as a JSON object and/or `properties.<name>` columns). Lines are validated one by
one and stored in batches of the API's size, each batch exactly once, so an
import that stopped halfway can simply be run again: lines already stored come
back as duplicates.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import msgspec
from django.db import transaction

from billing.audit import audit_record
from billing.errors import ValidationFailed
from metering import conf
from metering.ingest.decode import EventIn, Rejection, decode_event
from metering.services.ingestion import usage_batch_store

FORMATS = ("csv", "ndjson")


@dataclass
class ImportReport:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, field, reason)


def _csv_events(lines: Iterable[str]) -> Iterator[tuple[int, EventIn | Rejection]]:
    reader = csv.DictReader(lines)
    for row in reader:
        number = reader.line_num
        data = {k: v for k, v in row.items() if k and v not in (None, "") and not k.startswith("properties.")}
        properties = {}
        try:
            if "properties" in data:
                properties = json.loads(data.pop("properties"))
        except ValueError:
            yield number, Rejection(index=number, field="properties", reason="Not a JSON object.")
            continue
        properties.update({k.split(".", 1)[1]: v for k, v in row.items()
                           if k and k.startswith("properties.") and v not in (None, "")})
        data["properties"] = properties
        try:
            yield number, msgspec.convert(data, EventIn, strict=False)
        except msgspec.ValidationError as exc:
            rejection = decode_event(number, msgspec.json.encode(data))
            yield number, rejection if isinstance(rejection, Rejection) else Rejection(number, "event", str(exc))


def _ndjson_events(lines: Iterable[str]) -> Iterator[tuple[int, EventIn | Rejection]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, decode_event(number, line.encode())


def usage_file_import(*, lines: Iterable[str], file_format: str, source: str = "") -> ImportReport:
    """Import every line; runs in the caller's scope (operator: any account, by id or external id)."""
    if file_format not in FORMATS:
        raise ValidationFailed({"format": f"Must be one of {', '.join(FORMATS)}."})
    events = _csv_events(lines) if file_format == "csv" else _ndjson_events(lines)
    report = ImportReport()
    batch: list[tuple[int, EventIn]] = []
    size = conf.settings.METERING_MAX_BATCH
    for number, event in events:
        report.lines += 1
        if isinstance(event, Rejection):
            report.rejected.append((number, event.field, event.reason))
            continue
        batch.append((number, event))
        if len(batch) >= size:
            _flush(batch, report)
            batch = []
    if batch:
        _flush(batch, report)
    with transaction.atomic():
        audit_record(action="usage.imported", object_type="metering.usageevent", object_id=source[:100],
                     after={"format": file_format, "lines": report.lines, "accepted": report.accepted,
                            "duplicates": report.duplicates, "rejected": len(report.rejected)})
    return report


def _flush(batch: list[tuple[int, EventIn]], report: ImportReport) -> None:
    result = usage_batch_store(decoded=batch, rejected=[], key_account_id=None)
    report.accepted += result.accepted
    report.duplicates += len(result.duplicates)
    report.rejected.extend((r.index, r.field, r.reason) for r in result.rejected)
