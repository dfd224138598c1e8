"""Billing subscriptions: the first invoice of a period and the renewal invoice of a bill run.

A renewal, in one transaction per subscription: lock it; if its period has ended and
was not billed, read usage of the ended period, late usage of the periods billed
before (`renewal_reads`, as the set-based renewal reads it), pending prorations, then
advance the period; `renewal_decide` (pure, shared with renewals_bulk) says what to bill:
usage in arrears, flat and seat fees of the new period in advance with the terms it now
has, prorations, late usage, coupons, and the billing records (unique per subscription,
kind and period); this module writes the draft and the records and uses the coupons.
A second run finds the records, bills nothing, and only makes sure the period moved.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from billing import clock
from billing.models import Subscription, SubscriptionStatus
from billing.services import discount_mark_used, subscription_period_advance
from billing.transitions import row_lock
from invoicing import adapters, conf
from invoicing.adapters import price_invoice
from invoicing.customers import customer_details
from invoicing.models import BillingKind, BillingReason, BillingRecord, Invoice
from invoicing.services.drafts import invoice_create_draft
from invoicing.services.renewal_decision import (
    Renewal,
    arrears_billed,
    bills_usage,
    collection_method_for,
    renewal_decide,
)
from invoicing.services.renewal_reads import billed_records, late_usage_many
from pricing import InvoiceInput, Period

logger = logging.getLogger(__name__)
S = SubscriptionStatus
# What the invoice services read with the subscription (only its row is locked).
WITH_TERMS = ("plan", "plan_version", "account")


def _locked(subscription_id: int) -> Subscription | None:
    return row_lock(Subscription, subscription_id, related=WITH_TERMS, required=False)


def _billed(subscription, kind: str, period_start: datetime) -> bool:
    return BillingRecord.objects.filter(subscription=subscription, kind=kind, period_start=period_start).exists()


def _late_usage(subscription, charges, before: Period) -> tuple:
    """The set-based late-usage read (`renewal_reads.late_usage_many`) for one subscription."""
    return late_usage_many([subscription], before={subscription.pk: before},
                           charges={subscription.pk: charges}).get(subscription.pk, ())


def collection_method_of(subscription) -> str:
    """The subscription's own collection method, else its account's."""
    return collection_method_for(subscription, customer_details(subscription.account).collection_method)


def _write(subscription, *, data: InvoiceInput, records, finalize_after, prorations, discounts,
           coupons_used_from: datetime | None, invoice_period: Period,
           reason: str = BillingReason.SUBSCRIPTION_CYCLE) -> Invoice:
    invoice = invoice_create_draft(
        account=subscription.account, currency=subscription.currency, priced=price_invoice(data),
        coupons=data.coupons, subscription_id=subscription.pk, billing_reason=reason,
        collection_method=collection_method_of(subscription), finalize_after=finalize_after,
        period_start=invoice_period.start, period_end=invoice_period.end,
    )
    BillingRecord.objects.bulk_create([
        BillingRecord(account_id=subscription.account_id, subscription=subscription, kind=kind,
                      period_start=period.start, period_end=period.end, invoice=invoice)
        for kind, period in records
    ])
    if prorations:
        adapters.prorations_mark_invoiced(prorations, invoice)
    if data.coupons:
        for discount in discounts:
            discount_mark_used(discount=discount, period_start=coupons_used_from)
    return invoice


def _renewal_write(subscription, renewal: Renewal, *, prorations, at: datetime) -> Invoice:
    return _write(subscription, data=renewal.data, records=renewal.records, finalize_after=at + conf.grace_period(),
                  prorations=prorations, discounts=renewal.discounts, coupons_used_from=renewal.coupons_used_from,
                  invoice_period=renewal.ended)


@transaction.atomic
def subscription_bill_renewal(*, subscription_id: int, at: datetime | None = None) -> Invoice | None:
    """Bill the ended period of one subscription and advance it. Idempotent; returns the new draft.
    What to bill is `renewal_decide`'s, as for the set-based renewal (renewals_bulk)."""
    at = at or clock.now()
    subscription = _locked(subscription_id)
    if subscription is None or subscription.current_period_end > at:
        return None
    ended = Period(subscription.current_period_start, subscription.current_period_end)
    billed = billed_records([subscription.pk], since=ended.start)[subscription.pk]
    if arrears_billed(billed, ended):
        subscription_period_advance(subscription=subscription, expected_period_end=ended.end)
        return None
    status_before = subscription.status
    terms = adapters.subscription_terms(subscription)
    charges = adapters.charges_from_terms(terms, subscription.currency)
    usage = {}
    if bills_usage(status_before) and charges:
        usage = adapters.usage_for(subscription.account_id, [c.metric_code for c in charges], ended)
    late = _late_usage(subscription, charges, ended)
    prorations = adapters.pending_prorations(subscription, up_to=at)
    version_before = (subscription.plan_version_id, subscription.quantity)
    subscription_period_advance(subscription=subscription, expected_period_end=ended.end)
    subscription.refresh_from_db()  # still locked by this transaction
    if (subscription.plan_version_id, subscription.quantity) != version_before:
        terms = adapters.subscription_terms(subscription)  # a scheduled change applied at the boundary
    renewal = renewal_decide(subscription=subscription, status_before=status_before, ended=ended, billed=billed,
                             terms=terms, charges=charges, usage=usage, late_usage=late, prorations=prorations,
                             discounts=adapters.active_discounts(subscription))
    if renewal is None:
        return None  # e.g. a trial that ended canceled: nothing to bill, and the period has moved
    return _renewal_write(subscription, renewal, prorations=prorations, at=at)


@transaction.atomic
def subscription_bill_opening(*, subscription_id: int, finalize: bool = True) -> Invoice | None:
    """The first invoice of a subscription's current period: its flat and seat fees in advance
    (a new subscription, or a trial that turned into a paid period). Idempotent."""
    subscription = _locked(subscription_id)
    if subscription is None or subscription.status not in (S.ACTIVE, S.INCOMPLETE, S.PAST_DUE):
        return None
    period = Period(subscription.current_period_start, subscription.current_period_end)
    if _billed(subscription, BillingKind.ADVANCE, period.start):
        return None
    terms = adapters.subscription_terms(subscription)
    discounts = adapters.active_discounts(subscription)
    coupons = tuple(c for c in (adapters.coupon_from_discount(d, subscription.currency) for d in discounts) if c)
    data = InvoiceInput(currency=subscription.currency, recurring=adapters.recurring_from_terms(terms),
                        advance_period=period, coupons=coupons)
    invoice = _write(subscription, data=data, records=[(BillingKind.ADVANCE, period)], finalize_after=None,
                     prorations=[], discounts=discounts, coupons_used_from=period.start, invoice_period=period,
                     reason=BillingReason.SUBSCRIPTION_CREATE)
    if finalize:
        from invoicing.services.transitions import invoice_finalize

        invoice = invoice_finalize(invoice=invoice)
    return invoice


@transaction.atomic
def subscription_bill_now(*, subscription_id: int) -> Invoice | None:
    """An `always_invoice` change: bill its prorations at once, on an invoice finalized now.
    A replay finds them already invoiced and bills nothing."""
    subscription = _locked(subscription_id)
    if subscription is None:
        return None
    prorations = [p for p in adapters.pending_prorations(subscription) if p.bill_immediately]
    if not prorations:
        return None
    data = InvoiceInput(currency=subscription.currency,
                        prorations=tuple(adapters.proration_from_item(p) for p in prorations))
    invoice = invoice_create_draft(
        account=subscription.account, currency=subscription.currency, priced=price_invoice(data),
        subscription_id=subscription.pk, billing_reason=BillingReason.SUBSCRIPTION_UPDATE,
        collection_method=collection_method_of(subscription),
        period_start=min(p.period_start for p in prorations),
        period_end=max(p.period_end for p in prorations))
    adapters.prorations_mark_invoiced(prorations, invoice)
    from invoicing.services.transitions import invoice_finalize

    return invoice_finalize(invoice=invoice)


@transaction.atomic
def subscription_bill_final(*, subscription_id: int, at: datetime | None = None) -> Invoice | None:
    """A subscription canceled in the middle of its period: bill its usage up to the end, and any
    pending prorations, as a draft that finalizes after the grace period. Idempotent."""
    at = at or clock.now()
    subscription = _locked(subscription_id)
    if (subscription is None or subscription.status != S.CANCELED or subscription.ended_at is None
            or subscription.ended_at <= subscription.current_period_start):
        return None
    period = Period(subscription.current_period_start, min(subscription.ended_at, subscription.current_period_end))
    if _billed(subscription, BillingKind.ARREARS, period.start) or (
            subscription.trial_end is not None and period.end <= subscription.trial_end):
        return None  # billed already, or a trial (which carries no charge) ended
    terms = adapters.subscription_terms(subscription)
    charges = adapters.charges_from_terms(terms, subscription.currency)
    usage = adapters.usage_for(subscription.account_id, [c.metric_code for c in charges], period) if charges else {}
    prorations = adapters.pending_prorations(subscription)
    data = InvoiceInput(currency=subscription.currency, charges=charges, usage=usage, usage_period=period,
                        prorations=tuple(adapters.proration_from_item(p) for p in prorations),
                        late_usage=_late_usage(subscription, charges, period))
    return _write(subscription, data=data, records=[(BillingKind.ARREARS, period)],
                  finalize_after=at + conf.grace_period(), prorations=prorations, discounts=[],
                  coupons_used_from=None, invoice_period=period)
