"""Subscriptions a bill run could not bill: recorded, retried with backoff, reported, resolved.

A renewal that raises is rolled back whole (no invoice, no billing record, the period does not
move), so the subscription stays due. `bill_run_failure_record` writes what happened on a
`BillRunFailure` (one per subscription and period) with a `billing.bill_run.subscription_failed`
event in the same transaction (finance is emailed from the event: invoicing/handlers.py).
The next bill runs hold the subscription back until its retry is due (`retry_wait`), then try
it again with `bill_run_failure_retry`, which finance also calls from the admin ("retry now"):
it bills the failed period with `subscription_bill_renewal` and resolves the failure in the same
transaction, so the period is billed and renewed once (the billing records are unique) and the
failure can never stay open over a billed period, nor be closed over an unbilled one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction

from billing import clock
from billing.audit import audit_record
from billing.errors import BillingError, NotFound
from billing.models import Subscription
from billing.outbox import event_record
from billing.transitions import row_lock
from invoicing import conf
from invoicing.models import BillingKind, BillingRecord, BillRunFailure

logger = logging.getLogger(__name__)
SUBSCRIPTION_FAILED = "billing.bill_run.subscription_failed"
MAX_RETRY_WAIT = timedelta(days=1)
GENERIC_MESSAGE = "unexpected error: the worker log has the details"


class RetryOutcome:
    BILLED = "billed"  # this retry billed the failed period: resolved
    CLOSED = "closed"  # resolved without a bill now: billed earlier, or the period closed with nothing to bill
    FAILED = "failed"  # it failed again: one more attempt recorded
    SKIPPED = "skipped"  # resolved already, or its retry is not due yet


class StillUnbilled(Exception):
    """The renewal raised nothing, yet the period is neither billed nor closed."""


def failure_describe(exc: BaseException) -> tuple[str, str]:
    """(error class, message safe to store, send and show). Our own errors and the pricing engine's
    arithmetic and value errors say what is wrong in words we wrote; a database error gives its first
    line only (its DETAIL may quote row values); anything else, no words at all (the log has them)."""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(exc, BillingError):
        text = exc.message
    elif isinstance(exc, DatabaseError):
        text = (str(exc).splitlines() or [""])[0]
    elif isinstance(exc, ArithmeticError | ValueError | LookupError | StillUnbilled):
        text = str(exc)
    else:
        text = ""
    return name[:200], " ".join(text.split())[:300] or GENERIC_MESSAGE


def retry_wait(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a subscription is tried again: doubling, at most a day."""
    base = timedelta(seconds=conf.settings.BILL_RUN_RETRY_BACKOFF_SECONDS)
    return min(base * 2 ** max(0, attempts - 1), MAX_RETRY_WAIT)


def bill_run_failure_record(*, subscription_id: int, error: BaseException, bill_run_id: int | None = None
                            ) -> BillRunFailure | None:
    """A renewal of `subscription_id` just raised `error` (and rolled back): record the attempt on
    the failure of its current (unbilled) period, schedule the next one, record the event."""
    now = clock.now()
    with transaction.atomic():
        subscription = (Subscription.objects.filter(pk=subscription_id)
                        .values("account_id", "current_period_start", "current_period_end").first())
        if subscription is None:
            logger.error("bill run %s: subscription %s failed and no longer exists", bill_run_id, subscription_id)
            return None
        error_class, message = failure_describe(error)
        failure, created = BillRunFailure.objects.select_for_update().get_or_create(
            subscription_id=subscription_id, period_start=subscription["current_period_start"],
            defaults={"account_id": subscription["account_id"], "period_end": subscription["current_period_end"],
                      "first_seen_at": now, "last_seen_at": now, "error_class": error_class,
                      "error_message": message, "next_attempt_at": now})
        _attempt_failed(failure, error, bill_run_id=bill_run_id, now=now, manual=False, first=created)
    return failure


def bill_run_failure_retry(*, failure_id: int, at: datetime | None = None, bill_run_id: int | None = None,
                           manual: bool = True) -> str:
    """Try the failed period again: billed, the failure is resolved with its invoice in the same
    transaction; failed again, one more attempt is recorded. A bill run's retry (`manual=False`)
    passes over a failure whose retry is not due yet, so running it twice tries once.
    Returns a `RetryOutcome`."""
    at = at or clock.now()
    now = clock.now()
    with transaction.atomic():
        failure = row_lock(BillRunFailure, failure_id, required=False)
        if failure is None:
            raise NotFound("No such bill-run failure.", fields={"failure_id": [str(failure_id)]})
        if failure.resolved_at is not None:
            return RetryOutcome.SKIPPED
        # Failure row first, then the subscription: the one order every path takes.
        subscription = row_lock(Subscription, failure.subscription_id)
        same_period = subscription.current_period_start == failure.period_start
        if not manual and same_period and (failure.next_attempt_at is None or failure.next_attempt_at > at):
            return RetryOutcome.SKIPPED
        invoice_id = _arrears_invoice(failure)
        if invoice_id is None and same_period and subscription.current_period_end <= at:
            try:
                with transaction.atomic():
                    _bill_again(failure, at)
            except Exception as exc:  # recorded on the failure; the log keeps the traceback
                logger.exception("bill-run failure %s: subscription %s failed again", failure.pk,
                                 failure.subscription_id)
                _attempt_failed(failure, exc, bill_run_id=bill_run_id, now=now, manual=manual, first=False)
                return RetryOutcome.FAILED
            invoice_id = _arrears_invoice(failure)
            if invoice_id is not None:
                _resolve(failure, now=now, invoice_id=invoice_id, bill_run_id=bill_run_id,
                         resolution=f"billed on invoice {invoice_id}")
                return RetryOutcome.BILLED
        if invoice_id is not None:
            resolution = f"billed earlier, on invoice {invoice_id}"
        elif same_period and subscription.current_period_end > at:
            resolution = "the period has not ended yet"
        else:
            resolution = "the period closed without an invoice (nothing to bill)"
        _resolve(failure, now=now, invoice_id=invoice_id, bill_run_id=bill_run_id, resolution=resolution)
        return RetryOutcome.CLOSED


def _arrears_invoice(failure: BillRunFailure) -> int | None:
    """The invoice that billed the failed period in arrears, if one did."""
    return (BillingRecord.objects.filter(subscription_id=failure.subscription_id, kind=BillingKind.ARREARS,
                                         period_start=failure.period_start)
            .values_list("invoice_id", flat=True).first())


def _bill_again(failure: BillRunFailure, at: datetime) -> None:
    from invoicing.services.subscriptions import subscription_bill_renewal

    subscription_bill_renewal(subscription_id=failure.subscription_id, at=at)
    moved = not Subscription.objects.filter(pk=failure.subscription_id, current_period_start=failure.period_start) \
        .exists()
    if not moved and _arrears_invoice(failure) is None:
        raise StillUnbilled("the renewal raised nothing, yet the period is neither billed nor closed")


def _attempt_failed(failure: BillRunFailure, error: BaseException, *, bill_run_id, now, manual: bool,
                    first: bool) -> None:
    """One more failed attempt on a locked failure: when the next one is, or that none is left."""
    had_given_up = not first and failure.gave_up
    failure.error_class, failure.error_message = failure_describe(error)
    failure.attempts += 1
    failure.last_seen_at = now
    failure.bill_run_id = bill_run_id if bill_run_id is not None else failure.bill_run_id
    if failure.resolved_at is not None:  # billed once, failing again for the same period: open again
        failure.resolved_at, failure.resolution, failure.invoice_id = None, "", None
    limit = conf.settings.BILL_RUN_MAX_ATTEMPTS
    gives_up = not had_given_up and failure.attempts >= limit
    if had_given_up or gives_up:
        failure.next_attempt_at = None  # a person retries it from the admin once the cause is fixed
    else:
        failure.next_attempt_at = now + retry_wait(failure.attempts)
    failure.save()
    after = {"attempts": failure.attempts, "error_class": failure.error_class,
             "error_message": failure.error_message, "next_attempt_at": failure.next_attempt_at}
    audit_record(action="bill_run_failure.recorded", instance=failure, after=after)
    event_record(type=SUBSCRIPTION_FAILED, account_id=failure.account_id, payload={
        "failure_id": failure.pk, "subscription_id": failure.subscription_id, "account_id": failure.account_id,
        "bill_run_id": bill_run_id, "period_start": failure.period_start, "period_end": failure.period_end,
        "error_class": failure.error_class, "error_message": failure.error_message, "attempt": failure.attempts,
        "max_attempts": limit, "next_attempt_at": failure.next_attempt_at, "gave_up": gives_up,
        "manual": manual})


def _resolve(failure: BillRunFailure, *, now, invoice_id: int | None, bill_run_id, resolution: str) -> None:
    failure.resolved_at, failure.next_attempt_at = now, None
    failure.invoice_id, failure.resolution = invoice_id, resolution[:200]
    failure.bill_run_id = bill_run_id if bill_run_id is not None else failure.bill_run_id
    failure.save()
    audit_record(action="bill_run_failure.resolved", instance=failure,
                 after={"resolution": failure.resolution, "invoice_id": invoice_id})


__all__ = ["RetryOutcome", "bill_run_failure_record", "bill_run_failure_retry", "failure_describe", "retry_wait"]
