"""Billing subscriptions: the first invoice of a period and the renewal invoice of a bill run.

A renewal, in one transaction per subscription: lock it; if its period has ended and
was not billed, price usage of the ended period (in arrears), late usage of the
period before, pending prorations, then advance the period and price the flat and
seat fees of the new one (in advance) with the terms it now has; write the draft
and the billing records (unique per subscription, kind and period); use coupons.
A second run finds the records, bills nothing, and only makes sure the period moved.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from billing import clock
from billing.models import Subscription, SubscriptionStatus
from billing.services import discount_mark_used, subscription_period_advance
from invoicing import adapters, conf
from invoicing.adapters import price_invoice
from invoicing.models import (
    BillingKind,
    BillingReason,
    BillingRecord,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from invoicing.services.drafts import invoice_create_draft
from pricing import InvoiceInput, LateUsage, Period

logger = logging.getLogger(__name__)
S = SubscriptionStatus
ADVANCE_BILLED = (S.ACTIVE, S.PAST_DUE, S.INCOMPLETE, S.PAUSED)
USAGE_BILLED = (S.ACTIVE, S.PAST_DUE, S.PAUSED, S.CANCELED)


def _lock(subscription_id: int) -> Subscription | None:
    return Subscription.objects.select_for_update(of=("self",)).select_related("plan", "plan_version", "account") \
        .filter(pk=subscription_id).first()


def _billed(subscription, kind: str, period_start: datetime) -> bool:
    return BillingRecord.objects.filter(subscription=subscription, kind=kind, period_start=period_start).exists()


def _collection_method(subscription) -> str:
    return (subscription.metadata or {}).get("collection_method") or "charge_automatically"


def _late_usage(subscription, charges, before: Period) -> tuple[LateUsage, ...]:
    """Usage of earlier billed periods that arrived after they were billed: for each billed period
    that could still receive events (it ended less than the acceptance window before `before`),
    the difference between what metering counts for it now and what invoices already charged."""
    if not charges:
        return ()
    records = (BillingRecord.objects.filter(subscription=subscription, kind=BillingKind.ARREARS,
                                            period_end__lte=before.start,
                                            period_end__gt=before.start - adapters.late_usage_window())
               .exclude(invoice__status=InvoiceStatus.VOID).order_by("period_start"))
    periods = sorted({Period(r.period_start, r.period_end) for r in records}, key=lambda p: p.start)
    if not periods:
        return ()
    billed = defaultdict(dict)
    rows = (InvoiceLine.objects.filter(invoice__subscription=subscription, kind__in=[LineKind.USAGE,
                                                                                       LineKind.LATE_USAGE],
                                       period_start__in=[p.start for p in periods])
            .exclude(invoice__status=InvoiceStatus.VOID)
            .values("period_start", "metric_code", "group_key").annotate(quantity=Sum("quantity")))
    for row in rows:
        billed[row["period_start"]][(row["metric_code"], row["group_key"])] = row["quantity"]
    late = []
    for period in periods:
        counted = adapters.usage_for(subscription.account_id, [c.metric_code for c in charges], period)
        late += late_lines(period, counted, billed[period.start])
    return tuple(late)


def late_lines(period: Period, counted: dict, billed: dict) -> list[LateUsage]:
    """What metering counts for a billed period now, less what invoices charged for it: a line for
    each (metric, group) that grew."""
    late = []
    for (metric, group), quantity in sorted(counted.items()):
        before = billed.get((metric, group), Decimal(0))
        if quantity - before > 0:
            late.append(LateUsage(metric, group, period, before, quantity - before))
    return late


def _write(subscription, *, data: InvoiceInput, records: list[tuple[str, Period]], finalize_after, prorations,
           discounts, advance_start: datetime | None, usage_period: Period | None,
           reason: str = BillingReason.SUBSCRIPTION_CYCLE) -> Invoice:
    priced = price_invoice(data)
    invoice = invoice_create_draft(
        account=subscription.account, currency=subscription.currency, priced=priced, coupons=data.coupons,
        subscription_id=subscription.pk, billing_reason=reason,
        collection_method=_collection_method(subscription), finalize_after=finalize_after,
        period_start=usage_period.start if usage_period else data.advance_period.start,
        period_end=usage_period.end if usage_period else data.advance_period.end,
    )
    BillingRecord.objects.bulk_create([
        BillingRecord(account_id=subscription.account_id, subscription=subscription, kind=kind,
                      period_start=period.start, period_end=period.end, invoice=invoice)
        for kind, period in records
    ])
    if prorations:
        adapters.prorations_mark_invoiced(prorations, invoice)
    for discount in discounts:
        if data.coupons:
            discount_mark_used(discount=discount, period_start=advance_start or usage_period.start)
    return invoice


@transaction.atomic
def subscription_bill_renewal(*, subscription_id: int, at: datetime | None = None) -> Invoice | None:
    """Bill the ended period of one subscription and advance it. Idempotent; returns the new draft."""
    at = at or clock.now()
    subscription = _lock(subscription_id)
    if subscription is None or subscription.current_period_end > at:
        return None
    ended = Period(subscription.current_period_start, subscription.current_period_end)
    if _billed(subscription, BillingKind.ARREARS, ended.start):
        subscription_period_advance(subscription=subscription, expected_period_end=ended.end)
        return None
    status_before = subscription.status
    terms = adapters.subscription_terms(subscription)
    charges = adapters.charges_from_terms(terms, subscription.currency)
    usage = {}
    if status_before in USAGE_BILLED and charges:
        usage = adapters.usage_for(subscription.account_id, [c.metric_code for c in charges], ended)
    late = _late_usage(subscription, charges, ended)
    prorations = adapters.pending_prorations(subscription, up_to=at)
    version_before = (subscription.plan_version_id, subscription.quantity)
    subscription_period_advance(subscription=subscription, expected_period_end=ended.end)
    subscription.refresh_from_db()  # still locked by this transaction
    if (subscription.plan_version_id, subscription.quantity) != version_before:
        terms = adapters.subscription_terms(subscription)  # a scheduled change applied at the boundary
    records = [(BillingKind.ARREARS, ended)]
    recurring = advance = None
    if (subscription.status in ADVANCE_BILLED and subscription.current_period_start == ended.end
            and not (subscription.status == S.PAUSED and not subscription.bill_during_pause)):
        advance = Period(subscription.current_period_start, subscription.current_period_end)
        if not _billed(subscription, BillingKind.ADVANCE, advance.start):
            recurring = adapters.recurring_from_terms(terms)
            records.append((BillingKind.ADVANCE, advance))
        else:
            advance = None
    discounts = adapters.active_discounts(subscription)
    coupons = tuple(c for c in (adapters.coupon_from_discount(d, subscription.currency) for d in discounts) if c)
    data = InvoiceInput(
        currency=subscription.currency, recurring=recurring, advance_period=advance,
        charges=charges if status_before in USAGE_BILLED else (), usage=usage,
        usage_period=ended if status_before in USAGE_BILLED else None,
        prorations=tuple(adapters.proration_from_item(p) for p in prorations), late_usage=late, coupons=coupons,
    )
    if not (data.recurring or data.charges or data.prorations or data.late_usage):
        return None  # e.g. a trial that ended canceled: nothing to bill, and the period has moved
    return _write(subscription, data=data, records=records,
                  finalize_after=at + conf.grace_period(), prorations=prorations, discounts=discounts,
                  advance_start=advance.start if advance else None, usage_period=ended)


@transaction.atomic
def subscription_bill_opening(*, subscription_id: int, finalize: bool = True) -> Invoice | None:
    """The first invoice of a subscription's current period: its flat and seat fees in advance
    (a new subscription, or a trial that turned into a paid period). Idempotent."""
    subscription = _lock(subscription_id)
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
                     prorations=[], discounts=discounts, advance_start=period.start, usage_period=None,
                     reason=BillingReason.SUBSCRIPTION_CREATE)
    if finalize:
        from invoicing.services.transitions import invoice_finalize

        invoice = invoice_finalize(invoice=invoice)
    return invoice


@transaction.atomic
def subscription_bill_now(*, subscription_id: int) -> Invoice | None:
    """An `always_invoice` change: bill its prorations at once, on an invoice finalized now.
    A replay finds them already invoiced and bills nothing."""
    subscription = _lock(subscription_id)
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
        collection_method=_collection_method(subscription), period_start=min(p.period_start for p in prorations),
        period_end=max(p.period_end for p in prorations))
    adapters.prorations_mark_invoiced(prorations, invoice)
    from invoicing.services.transitions import invoice_finalize

    return invoice_finalize(invoice=invoice)


@transaction.atomic
def subscription_bill_final(*, subscription_id: int, at: datetime | None = None) -> Invoice | None:
    """A subscription canceled in the middle of its period: bill its usage up to the end, and any
    pending prorations, as a draft that finalizes after the grace period. Idempotent."""
    at = at or clock.now()
    subscription = _lock(subscription_id)
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
                  advance_start=None, usage_period=period)
