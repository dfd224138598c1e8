"""Finalizing many drafts in one transaction: what `invoice_finalize` does, set-based.

Used by the finalize-due job (`invoices_finalize_due`, below) for a chunk of drafts
(with no grace period the bill run finalizes its renewals itself, with the same
`invoice_open` and `invoices_number`). Each draft's totals and status are decided as
`invoice_finalize` decides them (`totals_recompute`, then `transitions.invoice_opening`
against the invoice transition table); only the writing is set-based. The drafts are
locked together (SKIP LOCKED: a draft another worker holds is left to it), their usage
re-read, customers, preferences, tax and credit read with a few queries for the chunk,
and the chunk takes as many consecutive numbers as it finalizes from one lock of the
counter row, in the transaction that uses them all, so numbering stays gap-free.
Invoices, audit entries and events are written with multi-row statements. All or
nothing: a failure rolls the chunk back and the caller finalizes its drafts one by one
(`invoice_finalize`), so one bad draft cannot hold the others back.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record_many
from billing.errors import Conflict
from billing.models import CreditEntry, CreditKind
from billing.outbox import event_record_many
from billing.retry import retry_on_deadlock
from billing.services.customers_bulk import billing_profiles_currency_lock_many
from billing.transitions import Move, moves_react, moves_write, row_lock
from invoicing import conf
from invoicing.credits import credit_apply
from invoicing.models import (
    BillingReason,
    CollectionMethod,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.selectors import tax_contexts_for_many
from invoicing.services.common import cyclic_gc_paused, payload, state, today, totals_save
from invoicing.services.draft_usage import draft_refresh_usage, refreshable_usage_lines
from invoicing.services.numbering import number_take_many
from invoicing.services.renewal_reads import UsageBook
from invoicing.services.renewals_bulk import relax_commit_flush
from invoicing.services.totals import totals_recompute
from invoicing.services.transitions import (
    COLLECTION_REQUESTED,
    INVOICE_FINALIZED,
    INVOICE_PAID,
    TRANSITIONS,
    credit_reference,
    invoice_finalize,
    invoice_opening,
)
from pricing import Period

logger = logging.getLogger(__name__)
INVOICE_FIELDS = ["subtotal", "discount_total", "tax_total", "total", "tax_breakdown", "tax_note", "amount_due",
                  "issue_date", "net_terms_days", "due_date", "customer_snapshot", "operator_snapshot", "language",
                  "finalized_at", "credit_applied", "status", "paid_at", "series", "number", "updated_at"]


FINALIZE_CHUNK = 200


def invoices_finalize_due(*, limit: int = 1000) -> int:
    """The beat job: drafts whose grace period is over, a chunk per transaction (`invoices_finalize_many`);
    a chunk that fails is finalized one draft per transaction. Skips rows another worker holds."""
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
            row = row_lock(Invoice, pk, skip_locked=True, required=False, status=InvoiceStatus.DRAFT)
            if row is None:
                continue
            try:
                with transaction.atomic():
                    invoice_finalize(invoice=row)
                done += 1
            except Exception:
                logger.exception("finalizing invoice %s failed; it stays a draft for the next run", pk)
    return done


@retry_on_deadlock
def invoices_finalize_many(*, invoice_ids: list[int]) -> list[int]:
    """Finalize the drafts among `invoice_ids` that no one else holds; returns the ids finalized."""
    with transaction.atomic():
        relax_commit_flush()
        # The chunk claimed in one statement (not row_lock's one row): drafts another worker holds are its.
        invoices = list(Invoice.objects.select_for_update(skip_locked=True, of=("self",)).select_related("account")
                        .filter(pk__any=invoice_ids, status=InvoiceStatus.DRAFT).order_by("pk"))
        if not invoices:
            return []
        before = {i.pk: state(i) for i in invoices}
        lines = _lines(invoices)
        _refresh_usage(invoices, lines)
        contexts = tax_contexts_for_many({i.account for i in invoices})
        # The account's currency is fixed by its first finalized invoice (a Conflict on another one).
        currencies = {i.account_id: i.currency for i in invoices}
        if any(currencies[i.account_id] != i.currency for i in invoices):
            raise Conflict("Drafts of one account in two currencies: finalized one by one.")
        billing_profiles_currency_lock_many(currencies=currencies)
        grants = credit_grants_for(invoices)
        discounts = defaultdict(list)
        for d in InvoiceDiscount.objects.filter(invoice_id__any=[i.pk for i in invoices]).order_by("position", "id"):
            discounts[d.invoice_id].append(d)
        changed_lines, changed_discounts = [], []
        issued, now, operator = today(), clock.now(), conf.operator()
        for invoice in invoices:
            details, prefs, treatment = contexts[invoice.account_id]
            own_lines, own_discounts = totals_recompute(invoice, lines[invoice.pk], discounts[invoice.pk], treatment)
            changed_lines += own_lines
            changed_discounts += own_discounts
            invoice_open(invoice, details=details, prefs=prefs, grants=grants, issued=issued, now=now,
                         operator=operator)
        invoices_number(invoices, issued=issued)
        moves_write(invoices, INVOICE_FIELDS)
        totals_save(changed_lines, changed_discounts)
        audit_record_many([{"action": "invoice.finalized", "instance": i, "before": before[i.pk], "after": state(i)}
                           for i in invoices])
        event_record_many(invoice_events(invoices))
        moves_react(invoices)
        ids = [i.pk for i in invoices]
        transaction.on_commit(lambda: queue_pdfs(ids))
    return ids


def invoice_open(invoice, *, details, prefs, grants: set, issued, now, operator: dict) -> Move:
    """A recomputed draft of a set-based finalization (this chunked one, and the bill run's same pass):
    its credit, then what `invoice_finalize` writes before the number (`invoice_opening`), applied in
    memory for the caller's multi-row writes. `grants`: the (account id, currency) pairs that ever had
    credit (no credit looked up for the others)."""
    TRANSITIONS.check(invoice.status, InvoiceStatus.OPEN, verb="finalize")  # before taking credit
    credit = invoice.credit_applied
    if invoice.total > 0:  # credit after tax, never below zero (as invoice_finalize)
        credit = 0 if (invoice.account_id, invoice.currency) not in grants else credit_apply(
            account_id=invoice.account_id, currency=invoice.currency, amount=invoice.total,
            reference=credit_reference(invoice))
    move = invoice_opening(invoice, details=details, prefs=prefs, credit_applied=credit, issued=issued, now=now,
                           operator=operator)
    move.apply(invoice)
    return move


def invoices_number(invoices, *, issued) -> None:
    """Consecutive numbers for `invoices`, in their order, from one lock of the counter row (taken last:
    it stays locked until commit)."""
    series = conf.settings.INVOICE_SERIES
    stamp = timezone.now()
    for invoice, number in zip(invoices, number_take_many(series=series, year=issued.year, count=len(invoices)),
                               strict=True):
        invoice.series, invoice.number, invoice.updated_at = series, number, stamp


def credit_grants_for(invoices) -> set:
    """The (account id, currency) pairs of these invoices' accounts that ever had credit granted."""
    return set(CreditEntry.objects.filter(account_id__any={i.account_id for i in invoices}, kind=CreditKind.GRANT)
               .values_list("account_id", "currency").distinct())


def _lines(invoices) -> dict[int, list[InvoiceLine]]:
    lines = defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice_id__any=[i.pk for i in invoices]).order_by("position", "id"):
        lines[line.invoice_id].append(line)
    return lines


def _refresh_usage(invoices, lines) -> None:
    """`draft_refresh_usage` for the renewal drafts, with their usage read per period for all of them."""
    renewals = [i for i in invoices if i.billing_reason == BillingReason.SUBSCRIPTION_CYCLE and i.subscription_id]
    book = UsageBook()
    for invoice in renewals:
        for line in refreshable_usage_lines(lines[invoice.pk]):
            book.want(invoice.account_id, [line.metric_code], Period(line.period_start, line.period_end))
    book.load()
    for invoice in renewals:
        if draft_refresh_usage(invoice, lines=lines[invoice.pk], usage_of=book.usage_for):
            lines[invoice.pk] = list(invoice.lines.order_by("position", "id"))


def invoice_events(invoices) -> list[dict]:
    events = []
    for invoice in invoices:
        events.append({"type": INVOICE_FINALIZED, "account_id": invoice.account_id, "payload": payload(invoice)})
        if invoice.status == InvoiceStatus.PAID:
            events.append({"type": INVOICE_PAID, "account_id": invoice.account_id,
                           "payload": payload(invoice, paid_out_of_band=False)})
        elif invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY:
            events.append({"type": COLLECTION_REQUESTED, "account_id": invoice.account_id,
                           "payload": payload(invoice)})
    return events


def queue_pdfs(ids: list[int]) -> None:
    from invoicing.tasks import invoice_render_pdfs

    invoice_render_pdfs.delay(ids)
