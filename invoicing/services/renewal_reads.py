"""The reads a renewal decides on, shaped for many subscriptions; the single path passes one.

- `billed_records`: each subscription's billing records from a period start on, as (kind, start);
- `UsageBook`: usage of many accounts per period, one query per metric and period (also the
  set-based finalization's usage re-read);
- `late_usage_many`: late usage of every billed period that can still receive events, for many
  subscriptions in three reads (records, usage through the book, quantities invoiced).
`subscription_bill_renewal` calls them with its one subscription, so the single and the
set-based renewal read late usage the same way, in the same number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Sum

from invoicing import adapters
from invoicing.models import BillingKind, BillingRecord, InvoiceLine, InvoiceStatus, LineKind
from invoicing.services.renewal_decision import late_lines
from metering.selectors_bulk import billable_usage_many
from pricing import Period


def billed_records(subscription_ids, *, since: datetime) -> dict[int, set[tuple[str, datetime]]]:
    """{subscription id: {(kind, period start)}} of the billing records starting at `since` or later."""
    billed = defaultdict(set)
    for pk, kind, start in BillingRecord.objects.filter(subscription_id__any=list(subscription_ids),
                                                        period_start__gte=since) \
            .values_list("subscription_id", "kind", "period_start"):
        billed[pk].add((kind, start))
    return billed


class UsageBook:
    """Usage read for many accounts per period, answering `adapters.usage_for(account, codes, period)`.

    `want` what will be asked, `load` reads what is not read yet (one query per metric and period),
    `usage_for` answers; asking for a metric that was not loaded is a KeyError, never a silent zero."""

    def __init__(self):
        self.wanted: dict[Period, dict[int, set]] = defaultdict(lambda: defaultdict(set))
        self.read: dict[Period, dict[int, dict]] = defaultdict(dict)
        self.loaded: dict[Period, dict[int, set]] = defaultdict(lambda: defaultdict(set))

    def want(self, account_id: int, codes, period: Period) -> None:
        self.wanted[period][account_id].update(codes)

    def load(self) -> None:
        for period, wants in self.wanted.items():
            missing = {a: codes - self.loaded[period][a] for a, codes in wants.items()}
            missing = {a: codes for a, codes in missing.items() if codes}
            if not missing:
                continue
            metrics = sorted(set().union(*missing.values()))
            found = billable_usage_many(account_ids=list(missing), metric_codes=metrics,
                                        period_start=period.start, period_end=period.end)
            for account_id in missing:
                self.read[period].setdefault(account_id, {}).update(found[account_id])
                self.loaded[period][account_id].update(metrics)
        self.wanted.clear()

    def usage_for(self, account_id: int, codes, period: Period) -> dict:
        if not codes:
            return {}
        codes = set(codes)
        if codes - self.loaded[period][account_id]:
            raise KeyError(f"usage of account {account_id} for {sorted(codes)} in {period} was not loaded")
        return {k: v for k, v in self.read[period][account_id].items() if k[0] in codes}


def late_usage_many(subscriptions, *, before: dict[int, Period], charges: dict[int, tuple],
                    book: UsageBook | None = None) -> dict[int, tuple]:
    """{subscription id: (LateUsage, ...)}: for each subscription with charges, every arrears period billed
    (not on a void invoice) that ended less than metering's acceptance window before `before[id]` started,
    the difference between what metering counts for it now and what invoices charged (`late_lines`).
    `book`: a caller's UsageBook to read through (a new one otherwise)."""
    wanted = [s for s in subscriptions if charges[s.pk]]
    if not wanted:
        return {}
    window = adapters.late_usage_window()
    records = defaultdict(set)
    for r in (BillingRecord.objects
              .filter(subscription_id__any=[s.pk for s in wanted], kind=BillingKind.ARREARS,
                      period_end__lte=max(before[s.pk].start for s in wanted),
                      period_end__gt=min(before[s.pk].start for s in wanted) - window)
              .exclude(invoice__status=InvoiceStatus.VOID).only("subscription_id", "period_start", "period_end")):
        start = before[r.subscription_id].start
        if start - window < r.period_end <= start:  # the bounds above are the set's; these are its own
            records[r.subscription_id].add(Period(r.period_start, r.period_end))
    if not records:
        return {}
    book = book or UsageBook()
    by_id = {s.pk: s for s in wanted}
    periods = {pk: sorted(found, key=lambda p: p.start) for pk, found in records.items()}
    for pk, found in periods.items():
        for period in found:
            book.want(by_id[pk].account_id, [c.metric_code for c in charges[pk]], period)
    book.load()
    billed = defaultdict(dict)
    rows = (InvoiceLine.objects.filter(invoice__subscription_id__any=list(periods),
                                       kind__in=[LineKind.USAGE, LineKind.LATE_USAGE],
                                       period_start__in={p.start for found in periods.values() for p in found})
            .exclude(invoice__status=InvoiceStatus.VOID)
            .values("invoice__subscription_id", "period_start", "metric_code", "group_key")
            .annotate(quantity=Sum("quantity")))
    for row in rows:
        billed[(row["invoice__subscription_id"], row["period_start"])][(row["metric_code"], row["group_key"])] = \
            row["quantity"]
    result = {}
    for pk, found in periods.items():
        late = []
        for period in found:
            counted = book.usage_for(by_id[pk].account_id, [c.metric_code for c in charges[pk]], period)
            late += late_lines(period, counted, billed.get((pk, period.start), {}))
        result[pk] = tuple(late)
    return result
