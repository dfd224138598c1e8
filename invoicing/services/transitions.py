"""Invoice state changes: draft -> open -> paid | void | uncollectible (and disputed while a
chargeback is open, invoicing/services/disputes.py), by `TRANSITIONS`.

Each one goes through `billing.transitions.transition()`: the invoice row locked, its
state re-checked against the table, changed, audited and announced in the same
transaction. The set-based finalization (finalize_bulk) takes the same decision with
`invoice_opening`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum

from billing import clock
from billing.audit import audit_record
from billing.errors import ValidationFailed
from billing.outbox import event_record
from billing.retry import retry_on_deadlock
from billing.services import billing_profile_currency_lock
from billing.transitions import Move, TransitionTable, row_lock, transition
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
    WITH_ACCOUNT,
    payload,
    refresh_totals,
    state,
    today,
)
from invoicing.services.draft_usage import draft_refresh_usage
from invoicing.services.numbering import number_take

INVOICE_FINALIZED = "billing.invoice.finalized"
INVOICE_PAID = "billing.invoice.paid"
INVOICE_VOIDED = "billing.invoice.voided"
INVOICE_OVERDUE = "billing.invoice.overdue"
INVOICE_UNCOLLECTIBLE = "billing.invoice.uncollectible"
COLLECTION_REQUESTED = "invoicing.collection_requested"

S = InvoiceStatus
TRANSITIONS = TransitionTable(Invoice, {
    S.DRAFT: {S.OPEN, S.PAID},  # paid when credit covers it all
    S.OPEN: {S.PAID, S.VOID, S.UNCOLLECTIBLE, S.DISPUTED},
    S.UNCOLLECTIBLE: {S.PAID, S.VOID},  # a later payment still pays it
    S.PAID: {S.DISPUTED},  # other corrections are credit notes
    # A closed dispute: won restores it (paid, or open for what was left); lost puts the money taken
    # back as due again (open) or writes it off (uncollectible), per PAYMENTS_DISPUTE_LOST.
    S.DISPUTED: {S.PAID, S.OPEN, S.UNCOLLECTIBLE},
    S.VOID: set(),
}, initial={S.DRAFT}, picture=state)
# Paying needs a finalized invoice: a draft becomes paid only by its finalization.
PAYABLE = (S.OPEN, S.UNCOLLECTIBLE)


def amount_due_of(invoice: Invoice) -> int:
    """What is left to pay: the total less credit, credit notes taken off it and payments, plus what
    chargebacks took back of those payments."""
    return max(0, invoice.total - invoice.credit_applied - invoice.credited_total - invoice.amount_paid
               + invoice.amount_reversed)


def credit_reference(invoice: Invoice) -> str:
    return f"invoicing.invoice:{invoice.pk}"


@retry_on_deadlock  # racing finalizers (a chunk and a single) may deadlock on per-account rows
@transaction.atomic
def invoice_finalize(*, invoice: Invoice | int) -> Invoice:
    """Number the draft, freeze customer, operator and tax, apply credit, open it (or pay it when
    nothing is due), hand charge_automatically invoices to collection, and queue the PDF."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    TRANSITIONS.check(invoice.status, S.OPEN, verb="finalize")  # before any work
    before = state(invoice)
    account = invoice.account
    if invoice.billing_reason == BillingReason.SUBSCRIPTION_CYCLE and invoice.subscription_id:
        draft_refresh_usage(invoice)
    details = customer_details(account)
    # The account's currency is fixed by its first finalized invoice (raises Conflict on another one).
    billing_profile_currency_lock(account_id=account.pk, currency=invoice.currency)
    prefs = invoicing_preferences(account)
    refresh_totals(invoice, tax_treatment_for(account, details=details, prefs=prefs))
    issued = today()
    credit = invoice.credit_applied
    if invoice.total > 0:  # credit after tax, never below zero: the rest stays on the balance
        credit = credit_apply(account_id=account.pk, currency=invoice.currency, amount=invoice.total,
                              reference=credit_reference(invoice))
    opening = invoice_opening(invoice, details=details, prefs=prefs, credit_applied=credit, issued=issued,
                              now=clock.now(), operator=conf.operator())
    # The number last: its counter row stays locked until commit, so concurrent finalizers
    # wait on it for as short a time as possible.
    series = conf.settings.INVOICE_SERIES
    number = number_take(series=series, year=issued.year)
    transition(invoice, opening.to_state, table=TRANSITIONS, verb="finalize", action="invoice.finalized",
               before=before, changes={**opening.changes, "series": series, "number": number},
               event=INVOICE_FINALIZED, payload=payload)
    if invoice.status == InvoiceStatus.PAID:
        event_record(type=INVOICE_PAID, account_id=account.pk, payload=payload(invoice, paid_out_of_band=False))
    elif invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY:
        event_record(type=COLLECTION_REQUESTED, account_id=account.pk, payload=payload(invoice))
    _queue_pdf(invoice)
    return invoice


def invoice_opening(invoice, *, details, prefs, credit_applied: int, issued, now, operator: dict) -> Move:
    """What finalizing a recomputed draft writes, its number aside: dates, frozen customer and operator
    details, credit, and the status (open, or paid when credit covered it all), as a move the table
    allowed (TransitionRefused otherwise). Pure, so `invoice_finalize` and the set-based
    finalizations (finalize_bulk, the bill run's same pass) decide alike; each writes it its way."""
    terms = net_terms_days(prefs=prefs)
    amount_due = max(0, invoice.total - credit_applied)
    paid = {"paid_at": now} if amount_due == 0 else {}
    return TRANSITIONS.move(
        invoice, S.PAID if paid else S.OPEN, from_=(S.DRAFT,), verb="finalize", issue_date=issued,
        net_terms_days=terms, due_date=issued + timedelta(days=terms), customer_snapshot=details.snapshot(),
        operator_snapshot=operator, language=details.language or "en", finalized_at=now,
        credit_applied=credit_applied, amount_due=amount_due, **paid)


def _queue_pdf(invoice: Invoice) -> None:
    from invoicing.tasks import invoice_render_pdf

    pk = invoice.pk
    transaction.on_commit(lambda: invoice_render_pdf.delay(pk))


def settle_locked(invoice: Invoice, *, amount: int, reference: str, source: str, action: str) -> Invoice:
    """Record a payment on a locked invoice; pays it when nothing is left due. Idempotent per reference."""
    existing = invoice.payments.filter(reference=reference).first()
    if existing is not None:
        if existing.amount != amount:
            raise ValidationFailed({"payment_reference": "Already recorded with another amount."})
        return invoice
    # A payment goes where it could pay the invoice: not on a draft, nor on a paid or void one.
    TRANSITIONS.check(invoice.status, S.PAID, from_=PAYABLE, verb="record a payment on")
    if amount <= 0:
        raise ValidationFailed({"amount": "Must be a positive whole number of minor units."})
    if amount > invoice.amount_due:
        raise ValidationFailed({"amount": f"Exceeds the amount due ({invoice.amount_due})."})
    before = state(invoice)
    now = clock.now()
    InvoicePayment.objects.create(account_id=invoice.account_id, invoice=invoice, amount=amount,
                                  reference=reference, source=source, recorded_at=now)
    invoice.amount_paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or 0
    invoice.amount_due = amount_due_of(invoice)
    if source == PaymentSource.OUT_OF_BAND:
        invoice.payment_reference = reference[:200]
    recorded = {"payment": {"amount": amount, "reference": reference, "source": source}}
    if invoice.amount_due > 0:  # a part payment: the status stays
        invoice.save()
        audit_record(action=action, instance=invoice, before=before, after={**state(invoice), **recorded})
        return invoice
    transition(invoice, S.PAID, table=TRANSITIONS, from_=PAYABLE, verb="record a payment on", action=action,
               before=before, audit=recorded, changes={"paid_at": now}, event=INVOICE_PAID,
               payload=lambda paid: payload(paid, paid_out_of_band=source == PaymentSource.OUT_OF_BAND,
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
    return settle_locked(row_lock(Invoice, invoice, related=WITH_ACCOUNT), amount=amount,
                   reference=payment_reference.strip(), source=PaymentSource.GATEWAY,
                   action="invoice.payment_recorded")


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice | int, reference: str) -> Invoice:
    """Paid outside the platform (bank transfer, cheque): the whole amount due, with its reference."""
    if not (reference or "").strip():
        raise ValidationFailed({"reference": "Give the bank transfer or cheque reference."})
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    if invoice.status == InvoiceStatus.PAID and invoice.payment_reference == reference.strip():
        return invoice
    TRANSITIONS.check(invoice.status, S.PAID, from_=PAYABLE, verb="mark paid")
    return settle_locked(invoice, amount=invoice.amount_due, reference=reference.strip(),
                   source=PaymentSource.OUT_OF_BAND, action="invoice.marked_paid")


@transaction.atomic
def invoice_void(*, invoice: Invoice | int, reason: str = "") -> Invoice:
    """Cancel a finalized invoice that nobody paid; its number stays used, its credit goes back."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    TRANSITIONS.check(invoice.status, S.VOID, verb="void")
    if invoice.amount_paid:
        raise ValidationFailed({"status": "Payments were recorded on this invoice: issue a credit note instead."})
    before = state(invoice)
    if invoice.credit_applied:
        credit_return(account_id=invoice.account_id, reference=credit_reference(invoice))
    transition(invoice, S.VOID, table=TRANSITIONS, verb="void", action="invoice.voided", before=before,
               reason=reason, changes={"voided_at": clock.now(), "amount_due": 0}, event=INVOICE_VOIDED,
               payload=lambda voided: payload(voided, reason=reason))
    _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_mark_uncollectible(*, invoice: Invoice | int, reason: str = "") -> Invoice:
    """Give up collecting (dunning exhausted, or finance decides); a later payment still pays it."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return invoice
    transition(invoice, S.UNCOLLECTIBLE, table=TRANSITIONS, verb="mark uncollectible",
               action="invoice.marked_uncollectible", reason=reason, changes={"uncollectible_at": clock.now()},
               event=INVOICE_UNCOLLECTIBLE, payload=lambda given_up: payload(given_up, reason=reason))
    _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_mark_overdue(*, invoice: Invoice | int) -> bool:
    """Once per invoice: open and past its due date. Returns whether it was marked now."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
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
