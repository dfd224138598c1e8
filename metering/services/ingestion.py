"""Ingesting usage events: decode, validate each event, store the valid ones exactly once.

Usage events are not audited one by one: they are themselves an append-only,
immutable record (with their time of receipt), and an audit row per batch would
double the write volume of the hottest path. Corrections (negative values from
operator keys) are: they take a slower path that records who made each one
(`metering.services.corrections`). Changes to metrics, quotas and alerts are
audited as usual.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from billing import clock
from metering import conf
from metering.ingest.decode import EventIn, Rejection, decode_body
from metering.ingest.validate import Row, check_events
from metering.ingest.writer import write_rows_retrying
from metering.metrics import usage_batch_count
from metering.services.corrections import usage_events_write_with_corrections

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    stored: list[Row] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.accepted + len(self.duplicates) + len(self.rejected)


def usage_events_ingest(*, body: bytes, key_account_id: int | None) -> IngestResult:
    """A request body (one event or {"events": [...]}) from an API key.

    `key_account_id` is the key's account, or None for an operator key.
    """
    decoded, rejected = decode_body(body, max_batch=conf.settings.METERING_MAX_BATCH)
    return usage_batch_store(decoded=decoded, rejected=rejected, key_account_id=key_account_id)


def usage_events_record(*, events: list[EventIn], key_account_id: int | None = None,
                        update_counters: bool = True) -> IngestResult:
    """Already-decoded events (file import, quota consumption), with the same guarantees.

    `update_counters=False` when the caller already reserved the quantity in the
    live quota counters (quota consumption).
    """
    return usage_batch_store(decoded=list(enumerate(events)), rejected=[], key_account_id=key_account_id,
                             update_counters=update_counters)


def usage_batch_store(*, decoded: list[tuple[int, EventIn]], rejected: list[Rejection], key_account_id,
                      update_counters: bool = True, count_refused: bool = True) -> IngestResult:
    """A decoded batch ((index, event) pairs, and the events the decoder already refused): validate
    each event and store the valid ones exactly once. What `usage_events_ingest` does once it has
    decoded a body; the usage fast lane, which decodes before it counts the throttle, calls it too.

    `count_refused=False`: a batch with nothing valid is not counted in the metrics, because the caller
    (the fast lane) hands it to Django, which counts it."""
    result = IngestResult(rejected=rejected)
    if decoded:
        checked = check_events(decoded, key_account_id=key_account_id, now=clock.now(),
                               closed_before=_closed_periods(decoded, key_account_id))
        result.rejected.extend(checked.rejected)
        unique_rows, in_batch_duplicates = _first_of_each_key(checked.rows)
        corrections = [row for row in checked.corrections if row.index not in in_batch_duplicates]
        if corrections:
            stored_duplicates = usage_events_write_with_corrections(rows=unique_rows, corrections=corrections)
        else:
            stored_duplicates = write_rows_retrying(unique_rows)
        result.duplicates = sorted(in_batch_duplicates | stored_duplicates)
        result.stored = [row for row in unique_rows if row.index not in stored_duplicates]
        result.accepted = len(result.stored)
    result.rejected.sort(key=lambda r: r.index)
    if result.stored and update_counters:
        transaction.on_commit(lambda: _after_store(result.stored))
    # Once per batch, after the commit (immediately outside a transaction); in-process, cheap.
    if count_refused or result.accepted or result.duplicates:
        transaction.on_commit(lambda: usage_batch_count(result, key_account_id=key_account_id))
    return result


def _first_of_each_key(rows: list[Row]) -> tuple[list[Row], set[int]]:
    seen, unique, duplicates = set(), [], set()
    for row in rows:
        key = (row.account_id, row.idempotency_key)
        if key in seen:
            duplicates.add(row.index)
        else:
            seen.add(key)
            unique.append(row)
    return unique, duplicates


def _closed_periods(decoded, key_account_id):
    """With METERING_LATE_EVENTS=reject: account id -> start of its current billing period."""
    if conf.settings.METERING_LATE_EVENTS != "reject":
        return None
    from metering.quotas.limits import current_period_start

    return current_period_start


def _after_store(rows: list[Row]) -> None:
    """Live counters for quotas; never fails the request (they are rebuilt from PostgreSQL)."""
    try:
        from metering.quotas.counters import counters_add

        counters_add(rows)
    except Exception:
        logger.warning("metering: could not update quota counters; they will be rebuilt", exc_info=True)
