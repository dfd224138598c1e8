"""Bill runs: find the subscriptions whose period ended and bill each, fanned out in chunks.

`bill_run_start` (the beat job) records a BillRun and queues `bill_run_chunk` tasks
of BILL_RUN_CHUNK_SIZE subscriptions; each chunk is billed set-based in one transaction
(`subscriptions_bill_renewal_many`, see its module for why that is safe), falling back to
one transaction per subscription (`subscription_bill_renewal`) when it fails. A run killed
halfway and started again bills only what is left, and nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction

from billing import clock
from billing.audit import audit_record
from billing.selectors import subscriptions_due
from invoicing import conf
from invoicing.models import BillRun, BillRunStatus
from invoicing.services.common import cyclic_gc_paused
from invoicing.services.renewals_bulk import subscriptions_bill_renewal_many
from invoicing.services.subscriptions import subscription_bill_renewal

logger = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 200


def bill_run_start(*, at: datetime | None = None, dispatch=None) -> BillRun:
    """Record a run and queue its chunks. `dispatch(run_id, ids, at_iso)` defaults to the Celery task."""
    at = at or clock.now()
    ids = list(subscriptions_due(at=at).values_list("id", flat=True))
    size = conf.get("BILL_RUN_CHUNK_SIZE")
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    with transaction.atomic():
        run = BillRun.objects.create(started_at=clock.now(), billing_time=at, subscriptions_due=len(ids),
                                     chunks=len(chunks), status=BillRunStatus.RUNNING if chunks else BillRunStatus.DONE,
                                     finished_at=None if chunks else clock.now())
        audit_record(action="bill_run.started", instance=run,
                     after={"subscriptions_due": len(ids), "chunks": len(chunks), "billing_time": at})
    if dispatch is None:
        from invoicing.tasks import bill_run_chunk

        def dispatch(run_id, chunk, when):
            bill_run_chunk.delay(run_id, chunk, when)
    for chunk in chunks:
        dispatch(run.pk, chunk, at.isoformat())
    run.refresh_from_db()
    return run


def bill_run_chunk_process(*, run_id: int, subscription_ids: list[int], at: datetime) -> dict:
    """Bill a chunk: set-based, in one transaction (`subscriptions_bill_renewal_many`); if that
    fails, the chunk was rolled back whole and is billed subscription by subscription, each in
    its own transaction, so the errors are the failing subscriptions' alone."""
    errors = []
    try:
        with cyclic_gc_paused():
            done = subscriptions_bill_renewal_many(subscription_ids=subscription_ids, at=at)
        created, skipped = len(done["created"]), done["skipped"]
    except Exception:
        logger.warning("bill run %s: the chunk's set-based pass failed; billing it one by one", run_id,
                       exc_info=True)
        created, skipped, errors = _chunk_one_by_one(run_id, subscription_ids, at)
    _chunk_record(run_id, created, skipped, errors)
    return {"created": created, "skipped": skipped, "errors": len(errors)}


def _chunk_one_by_one(run_id: int, subscription_ids: list[int], at: datetime) -> tuple[int, int, list]:
    created = skipped = 0
    errors = []
    for subscription_id in subscription_ids:
        try:
            invoice = subscription_bill_renewal(subscription_id=subscription_id, at=at)
        except Exception as exc:  # one bad subscription must not stop the others; it is retried next run
            logger.exception("bill run %s: subscription %s failed", run_id, subscription_id)
            errors.append({"subscription_id": subscription_id, "error": f"{type(exc).__name__}: {exc}"[:500]})
            continue
        if invoice is None:
            skipped += 1
        else:
            created += 1
    return created, skipped, errors


def _chunk_record(run_id: int, created: int, skipped: int, errors: list) -> None:
    """Add the chunk's counts to its run: one UPDATE ... RETURNING (it locks the run's row until the
    commit, as a SELECT FOR UPDATE did), the errors' details under the same lock when there are any;
    the run is closed by the chunk that completes it."""
    with transaction.atomic():
        if errors:
            run = BillRun.objects.select_for_update().get(pk=run_id)
            BillRun.objects.filter(pk=run_id).update(error_details=(run.error_details + errors)[:MAX_ERRORS_KEPT])
        table = connection.ops.quote_name(BillRun._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET invoices_created = invoices_created + %s, "  # noqa: S608
                           "skipped = skipped + %s, errors = errors + %s, chunks_done = chunks_done + 1 "
                           "WHERE id = %s RETURNING chunks_done, chunks, finished_at",
                           [created, skipped, len(errors), run_id])
            row = cursor.fetchone()
        if row is None:
            raise BillRun.DoesNotExist(f"bill run {run_id}")
        chunks_done, chunks, finished_at = row
        if chunks_done >= chunks and finished_at is None:
            run = BillRun.objects.get(pk=run_id)
            run.finished_at = clock.now()
            run.status = BillRunStatus.FAILED if run.errors else BillRunStatus.DONE
            run.save(update_fields=["finished_at", "status"])
            audit_record(action="bill_run.finished", instance=run,
                         after={"invoices_created": run.invoices_created, "skipped": run.skipped,
                                "errors": run.errors})
