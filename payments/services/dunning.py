"""Dunning: retry a failed invoice payment on a schedule, then take the configured final action.

Default schedule: 1, 3, 5 and 7 days after the first failure (`DUNNING_RETRY_DAYS`, at
most 4 retries), in billing-clock time. During retries the subscription is
`past_due`. Adding a payment method retries at once (an extra try, not one of the
scheduled ones). After the last scheduled retry fails, `DUNNING_FINAL_ACTION`:
cancel the subscription, mark the invoice uncollectible, or leave it past due.
Finance can pause dunning per account: no retry and no final action while paused.

Every unpaid invoice is in dunning, whatever the cause (`DunningCase.cause`): a failed charge
or a 3-D Secure challenge that expired start it here as they fail; an invoice still open after
its due date with nothing charged (a bank transfer not received, no card) gets its case from
`dunning_open_unpaid`, without retries: reminders and the overdue policy follow it up.

Dunning hears of payments and invoices through their transition tables' reactions
(payments/reactions.py): `dunning_on_failure` as a payment fails, `dunning_on_invoice_paid`
as an invoice is paid, each in that transaction. It calls charging to retry; charging
never calls it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record, snapshot
from billing.models import Account
from billing.outbox import event_record
from billing.transitions import row_lock, transition
from invoicing.models import CollectionMethod, Invoice, InvoiceStatus
from payments import conf
from payments.models import (
    ACTIVE_STATUSES,
    AccountDunning,
    DunningCase,
    DunningCause,
    DunningStatus,
    Payment,
)

from .charging import AUTHENTICATION_EXPIRED, payment_collect

logger = logging.getLogger(__name__)

DUNNING_EXHAUSTED = "billing.dunning.exhausted"
# A retry in flight holds its slot this long; if the worker dies the retry runs again after it.
RETRY_LEASE = timedelta(hours=1)


def _schedule() -> list[int]:
    return list(conf.settings.DUNNING_RETRY_DAYS)  # at most 4, increasing: checked at start-up


def dunning_paused(account_id: int) -> bool:
    return AccountDunning.objects.filter(account_id=account_id, paused=True).exists()


def dunning_on_failure(*, payment: Payment) -> datetime | None:
    """A payment of an invoice failed (inside the payment's transaction). Returns the next retry time."""
    return _failure_record(invoice_id=payment.invoice_id, account_id=payment.account_id,
                           failure_code=payment.failure_code)


def _failure_record(*, invoice_id: int, account_id: int, failure_code: str) -> datetime | None:
    invoice = row_lock(Invoice, invoice_id)
    now = clock.now()
    case = row_lock(DunningCase, invoice=invoice, required=False)
    if case is None:
        case = DunningCase.objects.create(account_id=account_id, invoice=invoice, first_failed_at=now,
                                          last_failed_at=now, cause=_cause_of(failure_code))
        audit_record(action="dunning.started", instance=case, after=snapshot(case))
    elif case.failures == 0 and case.status == DunningStatus.ACTIVE:
        # Opened at the due date with nothing to charge; a card was added since and its charge failed:
        # from now on it is retried on the schedule like any failed payment.
        case.first_failed_at = now
    elif case.status != DunningStatus.ACTIVE:
        return None
    before = snapshot(case)
    case.failures += 1
    case.last_failed_at, case.last_failure_code = now, failure_code
    schedule = _schedule()
    if case.retries_done < len(schedule):
        case.next_retry_at = case.first_failed_at + timedelta(days=schedule[case.retries_done])
        case.save()
        audit_record(action="dunning.retry_scheduled", instance=case, before=before, after=snapshot(case))
        _subscription_past_due(invoice)
        return case.next_retry_at
    case.next_retry_at = None
    case.save()
    audit_record(action="dunning.retries_exhausted", instance=case, before=before, after=snapshot(case))
    _subscription_past_due(invoice)
    if not dunning_paused(case.account_id):
        _finish(case, invoice)
    return None


def _cause_of(failure_code: str) -> str:
    if failure_code == AUTHENTICATION_EXPIRED:
        return DunningCause.AUTHENTICATION_EXPIRED
    if failure_code == "no_payment_method":
        return DunningCause.NO_PAYMENT_METHOD
    return DunningCause.DECLINED


def dunning_open_unpaid(*, limit: int = 500) -> int:
    """The beat job: every invoice still open after its due date is in dunning, whatever the cause. Those
    no charge failed for (a bank transfer not received, a charge_automatically invoice with no card to
    charge) get their case here, with nothing to retry: the reminders and the overdue policy
    (payments/services/overdue.py) follow it up, and a card added retries it at once
    (`dunning_retry_now`). One case per invoice (its unique key): safe to run twice."""
    day = timezone.localdate(clock.now())
    waiting = list(Invoice.objects.filter(status=InvoiceStatus.OPEN, amount_due__gt=0, due_date__lt=day,
                                          dunning_case__isnull=True)
                   .order_by("due_date", "id").values_list("pk", flat=True)[:limit])
    opened = 0
    for invoice_id in waiting:
        with transaction.atomic():
            invoice = row_lock(Invoice, invoice_id)
            if invoice.status != InvoiceStatus.OPEN or DunningCase.objects.filter(invoice=invoice).exists():
                continue
            if Payment.objects.filter(invoice=invoice, status__in=ACTIVE_STATUSES).exists():
                continue  # an attempt in flight (3-D Secure): its outcome opens the case if it fails
            cause = (DunningCause.TRANSFER_NOT_RECEIVED if invoice.collection_method == CollectionMethod.SEND_INVOICE
                     else DunningCause.NO_PAYMENT_METHOD)
            now = clock.now()
            case = DunningCase.objects.create(account_id=invoice.account_id, invoice=invoice, cause=cause,
                                              first_failed_at=now, last_failed_at=now, last_failure_code=cause)
            audit_record(action="dunning.started", instance=case, after=snapshot(case))
            _subscription_past_due(invoice)
            opened += 1
    return opened


def _finish(case: DunningCase, invoice: Invoice) -> None:
    """The last retry failed: take the final action once."""
    action = conf.settings.DUNNING_FINAL_ACTION  # one of conf.FINAL_ACTIONS: checked at start-up
    if action == "cancel_subscription" and invoice.subscription_id:
        from billing.models import Subscription
        from billing.services import subscription_cancel

        subscription = Subscription.objects.get(pk=invoice.subscription_id)
        if subscription.status != "canceled":
            subscription_cancel(subscription=subscription, at_period_end=False,
                                reason="Payment failed after every retry.")
    elif action == "mark_uncollectible":
        from invoicing.services import invoice_mark_uncollectible

        invoice_mark_uncollectible(invoice=invoice.pk, reason="Payment failed after every retry.")
    transition(case, DunningStatus.EXHAUSTED, action="dunning.exhausted",
               changes={"final_action": action, "closed_at": clock.now()}, event=DUNNING_EXHAUSTED, payload={
                   "invoice_id": invoice.pk, "account_id": case.account_id, "subscription_id": invoice.subscription_id,
                   "failures": case.failures, "final_action": action})


def _subscription_past_due(invoice: Invoice) -> None:
    if not invoice.subscription_id:
        return
    from billing.models import Subscription
    from billing.services import subscription_mark_past_due

    subscription = Subscription.objects.get(pk=invoice.subscription_id)
    if subscription.status == "active":
        subscription_mark_past_due(subscription=subscription)


def dunning_on_invoice_paid(*, invoice) -> None:
    """The invoice was just paid (by us, a transfer, a credit note or credit), inside the transaction that
    paid it: close its case, reactivate the subscription."""
    case = row_lock(DunningCase, invoice_id=invoice.pk, required=False)
    if case is not None and case.status == DunningStatus.ACTIVE:
        transition(case, DunningStatus.RECOVERED, action="dunning.recovered",
                   changes={"next_retry_at": None, "closed_at": clock.now()})
    if invoice.subscription_id:
        from billing.models import Subscription
        from billing.services import subscription_activate

        subscription = Subscription.objects.get(pk=invoice.subscription_id)
        still_owing = DunningCase.objects.filter(invoice__subscription_id=subscription.pk,
                                                 status=DunningStatus.ACTIVE).exists()
        if subscription.status == "past_due" and not still_owing:
            subscription_activate(subscription=subscription)


def _claim(case_pk: int, *, scheduled: bool) -> DunningCase | None:
    """Take a case for one retry (locked, re-checked); a scheduled retry uses up one slot."""
    with transaction.atomic():
        case = row_lock(DunningCase, case_pk, skip_locked=True, required=False, status=DunningStatus.ACTIVE)
        if case is None or dunning_paused(case.account_id):
            return None
        invoice = Invoice.objects.get(pk=case.invoice_id)
        if invoice.status != InvoiceStatus.OPEN:  # voided or given up on elsewhere (a paid one was recovered)
            transition(case, DunningStatus.CLOSED, action="dunning.closed", audit={"invoice_status": invoice.status},
                       changes={"next_retry_at": None, "closed_at": clock.now()})
            return None
        if Payment.objects.filter(invoice_id=case.invoice_id, status__in=ACTIVE_STATUSES).exists():
            if scheduled:  # an attempt is still in flight (3-D Secure, timeout): wait for its outcome
                case.next_retry_at = clock.now() + RETRY_LEASE
                case.save(update_fields=["next_retry_at"])
            return None
        if scheduled:
            if case.next_retry_at is None or case.next_retry_at > clock.now():
                return None
            before = snapshot(case)
            case.retries_done += 1
            case.next_retry_at = clock.now() + RETRY_LEASE
            case.save()
            audit_record(action="dunning.retry_started", instance=case, before=before, after=snapshot(case))
        return case


def _retry(case: DunningCase, *, scheduled: bool = False, payment_method_id: int | None = None) -> Payment | None:
    payment = payment_collect(invoice_id=case.invoice_id, trigger="dunning", payment_method_id=payment_method_id)
    if payment is None and scheduled:
        # Nothing to charge (every payment method removed): the retry failed, so the schedule moves on and
        # ends in the final action instead of holding its slot forever.
        with transaction.atomic():
            locked = row_lock(DunningCase, case)
            invoice = Invoice.objects.get(pk=case.invoice_id)
            if locked.status == DunningStatus.ACTIVE and invoice.status == InvoiceStatus.OPEN:
                message = "No payment method on file."
                next_retry_at = _failure_record(invoice_id=case.invoice_id, account_id=case.account_id,
                                                failure_code="no_payment_method")
                # The customer hears of each failed retry like of a declined one (the invoicing app emails).
                event_record(type="billing.payment.failed", account_id=case.account_id, payload={
                    "payment_id": None, "invoice_id": invoice.pk, "account_id": case.account_id,
                    "amount": invoice.amount_due, "currency": invoice.currency, "status": "failed",
                    "attempt": None, "gateway": "", "reference": "", "failure_code": "no_payment_method",
                    "failure_message": message, "amount_refunded": 0, "next_retry_at": next_retry_at,
                    "update_payment_method_url": f"{settings.SITE_URL}/console/"})
    return payment


def dunning_retry_due(*, limit: int = 100) -> int:
    """Run the scheduled retries that are due, and final actions held back by a pause. Safe to rerun."""
    now = clock.now()
    due = list(DunningCase.objects.filter(status=DunningStatus.ACTIVE, next_retry_at__lte=now)
               .order_by("next_retry_at").values_list("pk", flat=True)[:limit])
    for pk in due:
        case = _claim(pk, scheduled=True)
        if case is not None:
            _retry(case, scheduled=True)
    # Cases whose retries ran out while the account was paused finish once dunning resumes.
    for case in DunningCase.objects.filter(status=DunningStatus.ACTIVE, next_retry_at__isnull=True)[:limit]:
        if not dunning_paused(case.account_id) and case.retries_done >= len(_schedule()):
            with transaction.atomic():
                locked = row_lock(DunningCase, case)
                if locked.status == DunningStatus.ACTIVE:
                    _finish(locked, row_lock(Invoice, locked.invoice_id))
    return len(due)


def dunning_retry_now(*, account_id: int, payment_method_id: int | None = None) -> int:
    """The customer added a payment method: retry every open case of the account at once, on that method
    (the default may be the card that keeps declining)."""
    retried = 0
    for pk in DunningCase.objects.filter(account_id=account_id, status=DunningStatus.ACTIVE) \
            .values_list("pk", flat=True):
        case = _claim(pk, scheduled=False)
        if case is not None:
            _retry(case, payment_method_id=payment_method_id)
            retried += 1
    return retried


@transaction.atomic
def dunning_pause(*, account: Account, note: str = "") -> AccountDunning:
    setting, _ = AccountDunning.objects.select_for_update().get_or_create(account=account)
    if setting.paused:
        return setting
    before = snapshot(setting)
    setting.paused, setting.paused_at, setting.note = True, clock.now(), note[:300]
    setting.save()
    audit_record(action="dunning.paused", instance=setting, before=before, after=snapshot(setting))
    return setting


@transaction.atomic
def dunning_resume(*, account: Account) -> AccountDunning:
    setting, _ = AccountDunning.objects.select_for_update().get_or_create(account=account)
    if not setting.paused:
        return setting
    before = snapshot(setting)
    setting.paused, setting.paused_at = False, None
    setting.save()
    audit_record(action="dunning.resumed", instance=setting, before=before, after=snapshot(setting))
    return setting

