"""The upcoming invoice: what the next invoice of a subscription would be right now.

Usage so far in the current period, the renewal's flat and seat fees for the next
period, pending prorations and coupons, with tax — computed, never written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing import clock
from billing.errors import AmountTooLarge
from billing.models import Subscription, SubscriptionStatus
from invoicing import adapters
from invoicing.adapters import price_invoice
from invoicing.models import BillingReason, Invoice, InvoiceDiscount, InvoiceLine
from invoicing.selectors import tax_treatment_for
from invoicing.services.drafts import discount_row, line_row
from invoicing.services.totals import recompute
from pricing import InvoiceInput, Period, periods

S = SubscriptionStatus


@dataclass(frozen=True)
class UpcomingInvoice:
    invoice: Invoice  # unsaved
    lines: list[InvoiceLine]
    discounts: list[InvoiceDiscount]
    next_period: Period | None


def invoice_upcoming(*, subscription: Subscription, at: datetime | None = None) -> UpcomingInvoice:
    """The upcoming invoice; `AmountTooLarge` (422) naming `subscription_id` when the subscription's
    terms make a line or a total past the bounds of pricing/money.py (the message says what to lower)."""
    try:
        return _upcoming(subscription, at or clock.now())
    except AmountTooLarge as exc:
        raise AmountTooLarge(f"Subscription {subscription.pk}: {exc.message}",
                             fields={"subscription_id": [exc.message]}) from None


def _upcoming(subscription: Subscription, at: datetime) -> UpcomingInvoice:
    current = Period(subscription.current_period_start, subscription.current_period_end)
    terms = adapters.subscription_terms(subscription)
    charges = adapters.charges_from_terms(terms, subscription.currency)
    usage_end = min(max(at, current.start), current.end)
    usage = {}
    if charges and subscription.status != S.TRIALING and usage_end > current.start:
        usage = adapters.usage_so_far_for(subscription.account_id, [c.metric_code for c in charges],
                                   Period(current.start, usage_end))
    next_period = None
    recurring = None
    if not subscription.cancel_at_period_end and subscription.status not in (S.CANCELED, S.INCOMPLETE_EXPIRED):
        plan = subscription.plan
        next_end = periods.next_boundary_after(subscription.billing_cycle_anchor, plan.interval, plan.interval_count,
                                               current.end)
        next_period = Period(current.end, next_end)
        recurring = adapters.recurring_from_terms(terms)
    discounts = adapters.active_discounts(subscription)
    coupons = tuple(c for c in (adapters.coupon_from_discount(d, subscription.currency) for d in discounts) if c)
    data = InvoiceInput(
        currency=subscription.currency, recurring=recurring, advance_period=next_period,
        charges=charges if subscription.status != S.TRIALING else (), usage=usage,
        usage_period=current if subscription.status != S.TRIALING else None,
        prorations=tuple(adapters.proration_from_item(p) for p in adapters.pending_prorations(subscription)),
        coupons=coupons,
    )
    priced = price_invoice(data)
    invoice = Invoice(account=subscription.account, account_id=subscription.account_id,
                      subscription_id=subscription.pk, currency=subscription.currency,
                      billing_reason=BillingReason.SUBSCRIPTION_CYCLE, period_start=current.start,
                      period_end=current.end)
    lines = [line_row(invoice, line, i) for i, line in enumerate(priced.lines)]
    discount_rows = [discount_row(invoice, coupon, i) for i, coupon in enumerate(coupons)]
    recompute(invoice, lines, discount_rows, tax_treatment_for(subscription.account))
    return UpcomingInvoice(invoice, lines, discount_rows, next_period)
