"""Bill runs: find the subscriptions whose period ended and bill each, fanned out in chunks.

`bill_run_start` (the beat job) records a BillRun and queues `bill_run_chunk` tasks
of BILL_RUN_CHUNK_SIZE subscriptions; each chunk is billed set-based in one transaction
(`subscriptions_bill_renewal_many`, see its module for why that is safe), falling back to
one transaction per subscription (`subscription_bill_renewal`) when it fails. A run killed
halfway and started again bills only what is left, and nothing twice.

A subscription that fails even alone is recorded as a `BillRunFailure` and reported
(`bill_run_failures`). Later runs hold it back while its retry waits (counted as `deferred`),
and queue the failures whose retry is due as `bill_run_retry_chunk` tasks (`retries`), one
transaction each, out of the set-based chunks that they would only make fall back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction

from billing import clock
from billing.audit import audit_record
from billing.selectors import subscriptions_due
from billing.transitions import row_lock
from invoicing import conf
from invoicing.models import BillRun, BillRunStatus
from invoicing.selectors import bill_run_failures_open
from invoicing.services.bill_run_failures import (
    RetryOutcome,
    bill_run_failure_record,
    bill_run_failure_retry,
)
from invoicing.services.common import cyclic_gc_paused
from invoicing.services.renewals_bulk import subscriptions_bill_renewal_many
from invoicing.services.subscriptions import subscription_bill_renewal

logger = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 200


def bill_run_start(*, at: datetime | None = None) -> BillRun:
    """Record a run and queue its chunks: the due subscriptions, and the earlier failures to retry."""
    at = at or clock.now()
    due, retries, deferred = _due_and_retries(at)
    size = conf.settings.BILL_RUN_CHUNK_SIZE
    chunks = [due[i:i + size] for i in range(0, len(due), size)]
    retry_chunks = [retries[i:i + size] for i in range(0, len(retries), size)]
    total = len(chunks) + len(retry_chunks)
    with transaction.atomic():
        run = BillRun.objects.create(started_at=clock.now(), billing_time=at, subscriptions_due=len(due),
                                     chunks=total, retries=len(retries), deferred=deferred,
                                     status=BillRunStatus.RUNNING if total else BillRunStatus.DONE,
                                     finished_at=None if total else clock.now())
        audit_record(action="bill_run.started", instance=run,
                     after={"subscriptions_due": len(due), "chunks": total, "billing_time": at,
                            "retries": len(retries), "deferred": deferred})
    from invoicing.tasks import bill_run_chunk, bill_run_retry_chunk

    for chunk in chunks:
        bill_run_chunk.delay(run.pk, chunk, at.isoformat())
    for chunk in retry_chunks:
        bill_run_retry_chunk.delay(run.pk, chunk, at.isoformat())
    run.refresh_from_db()
    return run


def _due_and_retries(at: datetime) -> tuple[list[int], list[int], int]:
    """(subscriptions to bill in chunks, failures to retry, subscriptions held back).

    A due subscription with an unresolved failure of its current period is the failure's to bill:
    retried when its retry is due, else held back (waiting, or left to finance). A failure whose
    subscription has moved past the failed period is retried too: the retry only resolves it."""
    due = list(subscriptions_due(at=at).values_list("id", flat=True))
    retries, held, waiting = [], set(), set()
    for failure_id, subscription_id, period_start, next_attempt_at, current_start in bill_run_failures_open():
        if current_start != period_start:
            retries.append(failure_id)
            continue
        held.add(subscription_id)
        if next_attempt_at is not None and next_attempt_at <= at:
            retries.append(failure_id)
        else:
            waiting.add(subscription_id)
    fresh = [pk for pk in due if pk not in held]
    deferred = sum(1 for pk in due if pk in waiting)
    return fresh, retries, deferred


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
        except Exception as exc:  # one bad subscription must not stop the others: recorded, retried later
            logger.exception("bill run %s: subscription %s failed", run_id, subscription_id)
            errors.append(_failed(run_id, subscription_id, exc))
            continue
        if invoice is None:
            skipped += 1
        else:
            created += 1
    return created, skipped, errors


def _failed(run_id: int, subscription_id: int, exc: Exception) -> dict:
    """The run's error entry for a subscription; its failure recorded (and reported) on the way."""
    failure = None
    try:
        failure = bill_run_failure_record(subscription_id=subscription_id, error=exc, bill_run_id=run_id)
    except Exception:  # e.g. the database went away: the subscription is still due, the next run meets it again
        logger.exception("bill run %s: could not record the failure of subscription %s", run_id, subscription_id)
    return {"subscription_id": subscription_id, "failure_id": failure.pk if failure else None,
            "error": f"{type(exc).__name__}: {exc}"[:500]}


def bill_run_retry_process(*, run_id: int, failure_ids: list[int], at: datetime) -> dict:
    """Retry earlier failures, each in its own transaction (`bill_run_failure_retry`), and count them
    on the run like a chunk: billed as created, failed again as errors, the rest as skipped."""
    created = skipped = 0
    errors = []
    for failure_id in failure_ids:
        try:
            outcome = bill_run_failure_retry(failure_id=failure_id, at=at, bill_run_id=run_id, manual=False)
        except Exception as exc:  # the failure itself could not be worked: it stays as it was
            logger.exception("bill run %s: retrying bill-run failure %s failed", run_id, failure_id)
            errors.append({"failure_id": failure_id, "error": f"{type(exc).__name__}: {exc}"[:500]})
            continue
        if outcome == RetryOutcome.BILLED:
            created += 1
        elif outcome == RetryOutcome.FAILED:
            errors.append({"failure_id": failure_id, "error": "failed again (see the bill-run failure)"})
        else:
            skipped += 1
    _chunk_record(run_id, created, skipped, errors)
    return {"created": created, "skipped": skipped, "errors": len(errors)}


def _chunk_record(run_id: int, created: int, skipped: int, errors: list) -> None:
    """Add the chunk's counts to its run: one UPDATE ... RETURNING (it locks the run's row until the
    commit, as a SELECT FOR UPDATE did), the errors' details under the same lock when there are any;
    the run is closed by the chunk that completes it."""
    with transaction.atomic():
        if errors:
            run = row_lock(BillRun, run_id)
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
