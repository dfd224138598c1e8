"""Recording corrections: who took usage back, in the transaction that stored it.

A correction is a negative value on a `sum` metric, accepted from operator keys only
(`metering.ingest.validate`). Its event is stored like any other, so aggregation nets it
out (and clamps a period at zero, `metering.values.period_quantity`); this writes the
`UsageCorrection` rows and their audit entries beside it. Corrections are rare, so they
take this slower path (a lookup and two inserts per batch); batches without one never do.
"""

from __future__ import annotations

import msgspec
from django.db import transaction

from billing import clock
from billing.audit import audit_record_many
from billing.context import current_actor, request_id
from metering.ingest.validate import Row
from metering.ingest.writer import write_rows_retrying
from metering.models import UsageCorrection


def usage_events_write_with_corrections(*, rows: list[Row], corrections: list[Row]) -> set[int]:
    """`write_rows_retrying` for a batch holding corrections: the events, the corrections
    stored (not duplicates) and their audit entries in one transaction. Returns the duplicates."""
    with transaction.atomic():
        duplicates = write_rows_retrying(rows)
        usage_corrections_record(rows=[row for row in corrections if row.index not in duplicates])
    return duplicates


def usage_corrections_record(*, rows: list[Row]) -> list[UsageCorrection]:
    """One `UsageCorrection` and one audit entry per stored correcting event (operator scope)."""
    if not rows:
        return []
    actor = current_actor()
    now = clock.now()
    corrections = UsageCorrection.objects.bulk_create([
        UsageCorrection(account_id=row.account_id, metric_id=row.metric_id, idempotency_key=row.idempotency_key,
                        timestamp=row.timestamp, quantity=row.quantity, properties=msgspec.json.decode(row.properties),
                        actor_type=actor.type, actor_id=actor.id, actor_label=actor.label,
                        request_id=request_id(), recorded_at=now)
        for row in rows])
    audit_record_many([
        {"action": "usage.corrected", "instance": correction,
         "after": {"metric": row.metric_code, "quantity": str(row.quantity), "idempotency_key": row.idempotency_key,
                   "timestamp": row.timestamp.isoformat()}}
        for correction, row in zip(corrections, rows, strict=True)])
    return corrections

