"""The bill run's writes: its invoices, lines, discounts and billing records as plain rows.

A chunk writes tens of thousands of rows; building a Django model instance for each and
having every field prepare its value cost more than the database's work. Here an invoice,
its lines and discounts are small attribute objects (`InvoiceRow`, `LineRow`,
`DiscountRow`) that `recompute`, `state`, `payload` and the finalization read and set
exactly as they do model instances; the invoices' primary keys are taken from their sequence
first (`ids_take`), so every row referencing an invoice is built in one go and written by
`rows_copy` (a binary COPY through a staging table, then one INSERT under row-level security).

`renewals_write` writes what `invoice_create_draft` writes for each renewal, and, when the
grace period is 0 (the drafts are due at once), finalizes them in the same transaction with
what `invoices_finalize_many` would do next (`finalize_bulk.invoice_open`, the numbers, the
audit entries, the events, the currency lock, the credit, the PDFs on commit), instead of
writing drafts, reading them back and updating them. tests/invoicing/test_bill_run_same_pass.py
holds the two side by side.
"""

from __future__ import annotations

import operator
from datetime import timedelta

import msgspec
from django.db import transaction
from django.utils import timezone

from billing import clock
from billing.audit import audit_record_many
from billing.errors import Conflict
from billing.outbox import event_record_many
from billing.rows import ids_take, rows_copy
from billing.services import discount_mark_used
from billing.services.customers_bulk import billing_profiles_currency_lock_many
from billing.transitions import moves_react
from invoicing import adapters, conf
from invoicing.adapters import price_invoice
from invoicing.models import (
    BillingReason,
    BillingRecord,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
)
from invoicing.services.common import payload, state, today
from invoicing.services.drafts import INVOICE_CREATED, draft_validate
from invoicing.services.renewal_decision import collection_method_for
from invoicing.services.totals import recompute

_encode = msgspec.json.Encoder().encode


def _columns(model) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.local_concrete_fields if not f.primary_key)


def _defaults(model) -> tuple[dict, list]:
    """The fields' defaults: fixed values once, and the fields whose default is made afresh per row
    (a callable: JSON lists and dicts must not be shared between rows)."""
    fixed, fresh = {}, []
    for f in model._meta.local_concrete_fields:
        if f.primary_key:
            continue
        if f.has_default() and callable(f.default):
            fresh.append((f.attname, f.default))
        else:
            fixed[f.attname] = f.get_default()
    return fixed, fresh


JSON = {"tax_breakdown", "customer_snapshot", "operator_snapshot", "inputs"}


class _Row:
    """Attributes read from the instance, or from the class for the fields' fixed defaults (JSON
    lists and dicts, which must not be shared, are made per row)."""

    columns: tuple[str, ...] = ()
    fresh: list = []
    json_at: tuple[int, ...] = ()  # positions of the JSON columns in `columns`

    def __init__(self, **values):
        for name, make in self.fresh:
            setattr(self, name, make())
        self.__dict__.update(values)

    def values(self) -> tuple:
        row = self.getter(self)
        if not self.json_at:
            return row
        # JSONField stores json.dumps of the value; the same JSON, encoded once here.
        row = list(row)
        for i in self.json_at:
            row[i] = _encode(row[i]).decode()
        return tuple(row)

    def __init_subclass__(cls, model=None, extra=(), **kwargs):
        super().__init_subclass__(**kwargs)
        fixed, cls.fresh = _defaults(model)
        for name, value in fixed.items():
            setattr(cls, name, value)
        cls.columns = (*extra, *_columns(model))
        cls.getter = operator.attrgetter(*cls.columns)
        cls.json_at = tuple(i for i, c in enumerate(cls.columns) if c in JSON)


class InvoiceRow(_Row, model=Invoice, extra=("id",)):
    pass


class LineRow(_Row, model=InvoiceLine):
    pass


class DiscountRow(_Row, model=InvoiceDiscount):
    pass


def draft_rows(*, account_id: int, currency: str, priced, coupons, subscription_id: int, period, collection_method: str,
               finalize_after, treatment) -> tuple[InvoiceRow, list[LineRow], list[DiscountRow]]:
    """`drafts.draft_build` for a renewal, as rows: validated and totalled the same way."""
    draft_validate(currency=currency, collection_method=collection_method, priced=priced)
    invoice = InvoiceRow(account_id=account_id, currency=currency, subscription_id=subscription_id,
                         period_start=period.start, period_end=period.end,
                         billing_reason=BillingReason.SUBSCRIPTION_CYCLE.value, collection_method=collection_method,
                         finalize_after=finalize_after, memo="")
    lines = [LineRow(account_id=account_id, position=i, kind=str(line.kind), description=line.description[:300],
                     metric_code=line.metric_code, group_key=line.group_key[:200], quantity=line.quantity,
                     unit_price=line.unit_price, period_start=line.period_start, period_end=line.period_end,
                     proration_factor=line.proration_factor, inputs=line.inputs(), amount=line.amount,
                     source=line.reference[:100])
             for i, line in enumerate(priced.lines)]
    discounts = [DiscountRow(account_id=account_id, position=i, code=coupon.code,
                             description=(coupon.description or coupon.code)[:200], percent_off=coupon.percent_off,
                             amount_off=coupon.amount_off, source=coupon.reference[:100])
                 for i, coupon in enumerate(coupons)]
    recompute(invoice, lines, discounts, treatment)
    return invoice, lines, discounts


def renewals_write(drafts, *, prorations, contexts, at) -> list[int]:
    """Write the chunk's renewal drafts (`(subscription, Renewal)`, as `renewal_decide` decided them),
    finalized at once when the grace period is 0. Returns the invoice ids, in subscription order."""
    grace = conf.grace_period()
    finalize_after = at + grace
    built = []
    for sub, renewal in drafts:
        invoice, lines, invoice_discounts = draft_rows(
            account_id=sub.account_id, currency=sub.currency, priced=price_invoice(renewal.data),
            coupons=renewal.data.coupons, subscription_id=sub.pk, period=renewal.ended,
            collection_method=collection_method_for(sub, contexts[sub.account_id][0].collection_method),
            finalize_after=finalize_after,
            treatment=contexts[sub.account_id][2])
        built.append((sub, renewal, invoice, lines, invoice_discounts))
    if not built:
        return []
    invoices = [invoice for _, _, invoice, _, _ in built]
    lines = [line for _, _, _, own_lines, _ in built for line in own_lines]
    coupons = [d for _, _, _, _, own_discounts in built for d in own_discounts]
    (taken,) = ids_take((Invoice, len(invoices)))  # lines and discounts take theirs as they are inserted
    for invoice, pk in zip(invoices, taken, strict=True):
        invoice.pk = invoice.id = pk
    for _, _, invoice, own_lines, own_discounts in built:
        for row in (*own_lines, *own_discounts):
            row.invoice_id = invoice.pk
    stamp = timezone.now()
    for invoice in invoices:
        invoice.created_at = invoice.updated_at = stamp
    drafted = [state(invoice) for invoice in invoices]
    for sub, renewal, invoice, _, _ in built:
        if prorations[sub.pk]:
            adapters.prorations_mark_invoiced(prorations[sub.pk], invoice)
        if renewal.data.coupons:
            for discount in renewal.discounts:
                discount_mark_used(discount=discount, period_start=renewal.coupons_used_from)
    audit = [{"action": "invoice.draft_created", "object_type": "invoicing.invoice", "object_id": i.pk,
              "account_id": i.account_id, "after": after} for i, after in zip(invoices, drafted, strict=True)]
    audit_record_many(audit)
    # Before `_finalize` changes the rows: the draft's event comes first, with the draft's figures.
    event_record_many([{"type": INVOICE_CREATED, "account_id": i.account_id, "payload": payload(i)} for i in invoices])
    # Lines, discounts and billing records do not change at finalization: written before it, so the
    # invoice counter row, locked from the numbers to the commit, is held for less of the chunk (a
    # second worker's chunk waits on it). Their foreign keys to the invoices are checked at commit.
    _children_write(built, lines, coupons)
    if grace <= timedelta(0):
        _finalize(invoices, contexts, drafted)
    rows_copy(Invoice, list(InvoiceRow.columns), [row.values() for row in invoices])
    if grace <= timedelta(0):
        moves_react(invoices)  # what other apps do when an invoice is finalized straight to paid
    return [i.pk for i in invoices]


def _finalize(invoices, contexts, drafted) -> None:
    """What `invoices_finalize_many` does next to these drafts, on the rows before they are written:
    the same currency lock, credit, numbers, audit entries and events (its usage re-read and tax
    recomputation would find what was just read and computed in this transaction)."""
    from invoicing.services.finalize_bulk import (
        credit_grants_for,
        invoice_events,
        invoice_open,
        invoices_number,
        queue_pdfs,
    )

    currencies = {i.account_id: i.currency for i in invoices}
    if any(currencies[i.account_id] != i.currency for i in invoices):
        raise Conflict("Renewals of one account in two currencies: billed one by one.")
    billing_profiles_currency_lock_many(currencies=currencies)
    grants = credit_grants_for(invoices)
    issued, now, operator = today(), clock.now(), conf.operator()
    for invoice in invoices:
        details, prefs, _ = contexts[invoice.account_id]
        invoice_open(invoice, details=details, prefs=prefs, grants=grants, issued=issued, now=now, operator=operator)
    invoices_number(invoices, issued=issued)
    audit_record_many([{"action": "invoice.finalized", "object_type": "invoicing.invoice", "object_id": i.pk,
                        "account_id": i.account_id, "before": before, "after": state(i)}
                       for i, before in zip(invoices, drafted, strict=True)])
    event_record_many(invoice_events(invoices))
    ids = [i.pk for i in invoices]
    transaction.on_commit(lambda: queue_pdfs(ids))


def _children_write(built, lines, coupons) -> None:
    for model, cls, rows in ((InvoiceLine, LineRow, lines), (InvoiceDiscount, DiscountRow, coupons)):
        rows_copy(model, list(cls.columns), [row.values() for row in rows])
    rows_copy(BillingRecord, ["account_id", "subscription_id", "kind", "period_start", "period_end", "invoice_id"],
              [(sub.account_id, sub.pk, str(kind), period.start, period.end, invoice.pk)
               for sub, renewal, invoice, _, _ in built for kind, period in renewal.records])


__all__ = ["draft_rows", "renewals_write"]
