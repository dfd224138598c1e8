"""Invoice state changes: draft -> open -> paid | void | uncollectible.

Each one locks the invoice row, re-checks its state, changes it, and records an
audit entry and an outbox event in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum

from billing import clock
from billing.audit import audit_record
from billing.errors import ValidationFailed
from billing.outbox import event_record
from billing.retry import retry_on_deadlock
from billing.services import billing_profile_currency_lock
from invoicing import conf
from invoicing.credits import credit_apply, credit_return
from invoicing.customers import customer_details
from invoicing.models import (
    BillingReason,
    CollectionMethod,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    PaymentSource,
)
from invoicing.selectors import (
    invoicing_preferences,
    net_terms_days,
    open_invoices_past_due,
    tax_treatment_for,
)
from invoicing.services.common import (
    cyclic_gc_paused,
    locked,
    payload,
    refresh_totals,
    require,
    state,
    today,
)
from invoicing.services.numbering import number_take

logger = logging.getLogger(__name__)

INVOICE_CREATED = "billing.invoice.created"
INVOICE_PAID = "billing.invoice.paid"
INVOICE_VOIDED = "billing.invoice.voided"
INVOICE_OVERDUE = "billing.invoice.overdue"
INVOICE_UNCOLLECTIBLE = "billing.invoice.uncollectible"
COLLECTION_REQUESTED = "invoicing.collection_requested"


def credit_reference(invoice: Invoice) -> str:
    return f"invoicing.invoice:{invoice.pk}"


@retry_on_deadlock  # racing finalizers (a chunk and a single) may deadlock on per-account rows
@transaction.atomic
def invoice_finalize(*, invoice: Invoice | int) -> Invoice:
    """Number the draft, freeze customer, operator and tax, apply credit, open it (or pay it when
    nothing is due), hand charge_automatically invoices to collection, and queue the PDF."""
    invoice = locked(invoice)
    require(invoice, InvoiceStatus.DRAFT, action="finalize")
    before = state(invoice)
    account = invoice.account
    if invoice.billing_reason == BillingReason.SUBSCRIPTION_CYCLE and invoice.subscription_id:
        from invoicing.services.subscriptions import draft_refresh_usage

        draft_refresh_usage(invoice)
    details = customer_details(account)
    # The account's currency is fixed by its first finalized invoice (raises Conflict on another one).
    billing_profile_currency_lock(account_id=account.pk, currency=invoice.currency)
    prefs = invoicing_preferences(account)
    refresh_totals(invoice, tax_treatment_for(account, details=details, prefs=prefs))
    issued = today()
    invoice.issue_date = issued
    invoice.net_terms_days = net_terms_days(account, prefs=prefs)
    invoice.due_date = issued + timedelta(days=invoice.net_terms_days)
    invoice.customer_snapshot = details.snapshot()
    invoice.operator_snapshot = conf.operator()
    invoice.language = details.language or "en"
    invoice.finalized_at = clock.now()
    # Credit after tax, never below zero: the rest stays on the balance.
    if invoice.total > 0:
        invoice.credit_applied = credit_apply(account_id=account.pk, currency=invoice.currency,
                                              amount=invoice.total, reference=credit_reference(invoice))
    invoice.amount_due = max(0, invoice.total - invoice.credit_applied)
    invoice.status = InvoiceStatus.OPEN
    if invoice.amount_due == 0:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = invoice.finalized_at
    # The number last: its counter row stays locked until commit, so concurrent finalizers
    # wait on it for as short a time as possible.
    invoice.series = conf.settings.INVOICE_SERIES
    invoice.number = number_take(series=invoice.series, year=issued.year)
    invoice.save()
    audit_record(action="invoice.finalized", instance=invoice, before=before, after=state(invoice))
    event_record(type=INVOICE_CREATED, account_id=account.pk, payload=payload(invoice))
    if invoice.status == InvoiceStatus.PAID:
        event_record(type=INVOICE_PAID, account_id=account.pk, payload=payload(invoice, paid_out_of_band=False))
    elif invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY:
        event_record(type=COLLECTION_REQUESTED, account_id=account.pk, payload=payload(invoice))
    _queue_pdf(invoice)
    return invoice


def _queue_pdf(invoice: Invoice) -> None:
    from invoicing.tasks import invoice_render_pdf

    pk = invoice.pk
    transaction.on_commit(lambda: invoice_render_pdf.delay(pk))


def _settle(invoice: Invoice, *, amount: int, reference: str, source: str, action: str) -> Invoice:
    """Record a payment on a locked invoice; pays it when nothing is left due. Idempotent per reference."""
    existing = invoice.payments.filter(reference=reference).first()
    if existing is not None:
        if existing.amount != amount:
            raise ValidationFailed({"payment_reference": "Already recorded with another amount."})
        return invoice
    require(invoice, InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE, action="record a payment on")
    if amount <= 0:
        raise ValidationFailed({"amount": "Must be a positive whole number of minor units."})
    if amount > invoice.amount_due:
        raise ValidationFailed({"amount": f"Exceeds the amount due ({invoice.amount_due})."})
    before = state(invoice)
    now = clock.now()
    InvoicePayment.objects.create(account_id=invoice.account_id, invoice=invoice, amount=amount,
                                  reference=reference, source=source, recorded_at=now)
    invoice.amount_paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or 0
    invoice.amount_due = max(0, invoice.total - invoice.credit_applied - invoice.credited_total - invoice.amount_paid)
    if source == PaymentSource.OUT_OF_BAND:
        invoice.payment_reference = reference[:200]
    paid = invoice.amount_due == 0
    if paid:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
    invoice.save()
    audit_record(action=action, instance=invoice, before=before,
                 after={**state(invoice), "payment": {"amount": amount, "reference": reference, "source": source}})
    if paid:
        event_record(type=INVOICE_PAID, account_id=invoice.account_id,
                     payload=payload(invoice, paid_out_of_band=source == PaymentSource.OUT_OF_BAND,
                                     payment_reference=reference))
        _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_record_payment(*, invoice: Invoice | int, amount: int, payment_reference: str) -> Invoice:
    """For the payments app: a gateway payment of `amount` (minor units) succeeded for this invoice.

    Locked and idempotent: the same `payment_reference` twice records once. Moves the
    invoice to paid (event `billing.invoice.paid`) when nothing is left due.
    """
    if not (payment_reference or "").strip():
        raise ValidationFailed({"payment_reference": "This field is required."})
    return _settle(locked(invoice), amount=amount, reference=payment_reference.strip(), source=PaymentSource.GATEWAY,
                   action="invoice.payment_recorded")


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice | int, reference: str) -> Invoice:
    """Paid outside the platform (bank transfer, cheque): the whole amount due, with its reference."""
    if not (reference or "").strip():
        raise ValidationFailed({"reference": "Give the bank transfer or cheque reference."})
    invoice = locked(invoice)
    if invoice.status == InvoiceStatus.PAID and invoice.payment_reference == reference.strip():
        return invoice
    require(invoice, InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE, action="mark paid")
    return _settle(invoice, amount=invoice.amount_due, reference=reference.strip(),
                   source=PaymentSource.OUT_OF_BAND, action="invoice.marked_paid")


@transaction.atomic
def invoice_void(*, invoice: Invoice | int, reason: str = "") -> Invoice:
    """Cancel a finalized invoice that nobody paid; its number stays used, its credit goes back."""
    invoice = locked(invoice)
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    require(invoice, InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE, action="void")
    if invoice.amount_paid:
        raise ValidationFailed({"status": "Payments were recorded on this invoice: issue a credit note instead."})
    before = state(invoice)
    if invoice.credit_applied:
        credit_return(account_id=invoice.account_id, reference=credit_reference(invoice))
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = clock.now()
    invoice.amount_due = 0
    invoice.save()
    audit_record(action="invoice.voided", instance=invoice, before=before, after={**state(invoice), "reason": reason})
    event_record(type=INVOICE_VOIDED, account_id=invoice.account_id, payload=payload(invoice, reason=reason))
    _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_mark_uncollectible(*, invoice: Invoice | int, reason: str = "") -> Invoice:
    """Give up collecting (dunning exhausted, or finance decides); a later payment still pays it."""
    invoice = locked(invoice)
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return invoice
    require(invoice, InvoiceStatus.OPEN, action="mark uncollectible")
    before = state(invoice)
    invoice.status = InvoiceStatus.UNCOLLECTIBLE
    invoice.uncollectible_at = clock.now()
    invoice.save()
    audit_record(action="invoice.marked_uncollectible", instance=invoice, before=before,
                 after={**state(invoice), "reason": reason})
    event_record(type=INVOICE_UNCOLLECTIBLE, account_id=invoice.account_id, payload=payload(invoice, reason=reason))
    _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_mark_overdue(*, invoice: Invoice | int) -> bool:
    """Once per invoice: open and past its due date. Returns whether it was marked now."""
    invoice = locked(invoice)
    if invoice.status != InvoiceStatus.OPEN or invoice.overdue_at is not None or invoice.due_date is None \
            or invoice.due_date >= today():
        return False
    invoice.overdue_at = clock.now()
    invoice.save(update_fields=["overdue_at", "updated_at"])
    audit_record(action="invoice.overdue", instance=invoice, after={"overdue_at": invoice.overdue_at})
    event_record(type=INVOICE_OVERDUE, account_id=invoice.account_id,
                 payload=payload(invoice, days_overdue=(today() - invoice.due_date).days))
    return True


def invoices_mark_overdue(*, limit: int = 1000) -> int:
    """The beat job: every open invoice past due, each in its own transaction. Safe to run twice."""
    ids = list(open_invoices_past_due(today=today()).order_by("id").values_list("id", flat=True)[:limit])
    return sum(1 for pk in ids if invoice_mark_overdue(invoice=pk))


FINALIZE_CHUNK = 200


def invoices_finalize_due(*, limit: int = 1000) -> int:
    """The beat job: drafts whose grace period is over, a chunk per transaction (`invoices_finalize_many`);
    a chunk that fails is finalized one draft per transaction. Skips rows another worker holds."""
    from invoicing.services.finalize_bulk import invoices_finalize_many

    now = clock.now()
    ids = list(Invoice.objects.filter(status=InvoiceStatus.DRAFT, finalize_after__lte=now)
               .order_by("finalize_after", "id").values_list("id", flat=True)[:limit])
    done = 0
    for start in range(0, len(ids), FINALIZE_CHUNK):
        chunk = ids[start:start + FINALIZE_CHUNK]
        try:
            with cyclic_gc_paused():
                done += len(invoices_finalize_many(invoice_ids=chunk))
        except Exception:
            logger.warning("finalizing a chunk of %s drafts failed; finalizing them one by one", len(chunk),
                           exc_info=True)
            done += invoices_finalize_one_by_one(chunk)
    return done


def invoices_finalize_one_by_one(ids: list[int]) -> int:
    """One transaction per draft; a draft that fails stays a draft for the next run."""
    done = 0
    for pk in ids:
        with transaction.atomic():
            row = Invoice.objects.select_for_update(skip_locked=True).filter(pk=pk, status=InvoiceStatus.DRAFT).first()
            if row is None:
                continue
            try:
                with transaction.atomic():
                    invoice_finalize(invoice=row)
                done += 1
            except Exception:
                logger.exception("finalizing invoice %s failed; it stays a draft for the next run", pk)
    return done
