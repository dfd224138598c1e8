"""What a renewal bills: one pure decision for the single path and the set-based one.

`subscription_bill_renewal` (one subscription, its own transaction) and
`subscriptions_bill_renewal_many` (a chunk, one transaction) read the same facts their
own way: the subscription before and after its period advanced, its billing records,
terms, charges, usage, late usage, pending prorations and discounts. `renewal_decide`
turns those facts into the engine's `InvoiceInput` and the billing records to write,
or None when there is nothing to bill; each path keeps only its reading and writing.
`late_lines` is the late-usage rule both reach through `renewal_reads.late_usage_many`.
No database, no Django: tests/invoicing/test_renewal_decision.py checks it on plain objects.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.models import SubscriptionStatus
from invoicing import adapters
from invoicing.models import BillingKind
from pricing import InvoiceInput, LateUsage, Period

S = SubscriptionStatus
# Flat and seat fees of the new period are billed in advance in these statuses (after the advance).
ADVANCE_BILLED = (S.ACTIVE, S.PAST_DUE, S.INCOMPLETE, S.PAUSED)
# Usage of the ended period is billed in arrears when the subscription was in one of these (before it).
USAGE_BILLED = (S.ACTIVE, S.PAST_DUE, S.PAUSED, S.CANCELED)
DEFAULT_COLLECTION_METHOD = "charge_automatically"


def collection_method_for(subscription, default: str = DEFAULT_COLLECTION_METHOD) -> str:
    """How a subscription's invoices are collected: its `collection_method` metadata (set by finance or an
    operator key), else `default`, the account's (its billing profile's), else charged automatically."""
    return (subscription.metadata or {}).get("collection_method") or default or DEFAULT_COLLECTION_METHOD


def bills_usage(status_before: str) -> bool:
    """Whether the ended period's usage is billed (so whether to read it): by the status it ended in."""
    return status_before in USAGE_BILLED


def arrears_billed(billed: Collection[tuple[str, datetime]], ended: Period) -> bool:
    """Whether the ended period was billed already (a second run: only the period still has to move).
    `billed`: the subscription's billing records as (kind, period start)."""
    return (BillingKind.ARREARS, ended.start) in billed


@dataclass(frozen=True)
class Renewal:
    """A renewal to write: the engine's input, the billing records (kind, period), the periods of the
    invoice and of the coupons' use."""

    data: InvoiceInput
    records: tuple[tuple[str, Period], ...]
    advance: Period | None  # the new period billed in advance, if any
    ended: Period  # the period that ended: the invoice's period
    discounts: tuple  # the subscription's active discounts, marked used when the invoice has coupons

    @property
    def coupons_used_from(self) -> datetime:
        """The period start a discount's use is counted for."""
        return self.advance.start if self.advance else self.ended.start


def renewal_decide(*, subscription, status_before: str, ended: Period, billed: Collection[tuple[str, datetime]],
                   terms, charges: tuple, usage: dict, late_usage: tuple[LateUsage, ...], prorations,
                   discounts) -> Renewal | None:
    """What to bill for a subscription whose period `ended` has just moved on.

    `subscription` is read after the advance (status, current period, `bill_during_pause`, currency),
    `status_before` before it; `billed` holds its billing records as (kind, period start); `terms` are
    its terms after the advance (a scheduled change applied at the boundary); `usage` is the ended
    period's (empty unless `bills_usage(status_before)`); `prorations` and `discounts` are the pending
    proration items and active discounts. None: nothing to bill (e.g. a trial that ended canceled)."""
    usage_billed = bills_usage(status_before)
    records = [(BillingKind.ARREARS, ended)]
    recurring = advance = None
    if (subscription.status in ADVANCE_BILLED and subscription.current_period_start == ended.end
            and not (subscription.status == S.PAUSED and not subscription.bill_during_pause)):
        period = Period(subscription.current_period_start, subscription.current_period_end)
        if (BillingKind.ADVANCE, period.start) not in billed:
            advance, recurring = period, adapters.recurring_from_terms(terms)
            records.append((BillingKind.ADVANCE, period))
    currency = subscription.currency
    coupons = tuple(c for c in (adapters.coupon_from_discount(d, currency) for d in discounts) if c)
    data = InvoiceInput(
        currency=currency, recurring=recurring, advance_period=advance,
        charges=charges if usage_billed else (), usage=usage if usage_billed else {},
        usage_period=ended if usage_billed else None,
        prorations=tuple(adapters.proration_from_item(p) for p in prorations), late_usage=tuple(late_usage),
        coupons=coupons,
    )
    if not (data.recurring or data.charges or data.prorations or data.late_usage):
        return None
    return Renewal(data=data, records=tuple(records), advance=advance, ended=ended, discounts=tuple(discounts))


def late_lines(period: Period, counted: dict, billed: dict) -> list[LateUsage]:
    """What metering counts for a billed period now, less what invoices charged for it: a line for
    each (metric, group) that grew."""
    late = []
    for (metric, group), quantity in sorted(counted.items()):
        before = billed.get((metric, group), Decimal(0))
        if quantity - before > 0:
            late.append(LateUsage(metric, group, period, before, quantity - before))
    return late
