"""The bill run's set-based pass: the renewals of a whole chunk in one transaction.

`subscriptions_bill_renewal_many` does what `subscription_bill_renewal` does for each
subscription of the chunk, with the reads done for the whole chunk at once (terms,
usage, late usage, billing records, prorations, discounts, tax: a handful of queries)
and the rows written as plain tuples, one statement per table (`renewal_rows`), finalized
in the same pass when there is no grace period. Periods move with billing's
`subscriptions_period_advance_locked` (its `subscription_period_advance`, set-based).

Why one transaction per chunk and not per subscription: reading for the chunk is only
consistent if the chunk's subscriptions stay locked from the reads to the writes
(a proration billed at once by a plan change in between would otherwise be billed
twice). So the chunk is all or nothing:
- killed halfway, nothing of the chunk is written; the next run bills it again;
- a second run finds the billing records (unique per subscription, kind and period,
  checked under the lock) and bills nothing twice;
- any error rolls the chunk back, and `bill_run_chunk_process` then bills that chunk
  subscription by subscription, each in its own transaction, so one bad subscription
  still cannot stop the others.
The price is that the chunk's subscriptions stay locked while it runs (well under a
second for 200); a plan change waits for it.

`synchronous_commit = off` (for this transaction only): a commit lost in a crash is a
chunk the idempotent re-run bills again, so the run need not wait for the WAL flush.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Sum

from billing.models import DiscountStatus, Subscription, SubscriptionDiscount
from billing.selectors import proration_items_pending
from billing.selectors.terms_bulk import plan_terms_for_many
from billing.services.lifecycle_bulk import subscriptions_period_advance_locked
from invoicing import adapters
from invoicing.models import (
    BillingKind,
    BillingRecord,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from invoicing.selectors import tax_contexts_for_many
from invoicing.services.renewal_rows import renewals_write
from invoicing.services.subscriptions import (
    ADVANCE_BILLED,
    USAGE_BILLED,
    S,
    _collection_method,
    late_lines,
)
from metering.selectors_bulk import billable_usage_many
from pricing import InvoiceInput, Period


def relax_commit_flush() -> None:
    """For this transaction only: see the module docstring (a lost commit is redone by the re-run)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


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


def _late_usage_many(subs, ended: dict, charges: dict, book: UsageBook) -> tuple[dict, set]:
    """`_late_usage` for the chunk: {subscription id: (LateUsage, ...)} over every billed period that
    could still receive events; and the ids left to the single path (none: kept for the caller)."""
    wanted = [s for s in subs if charges[s.pk]]
    if not wanted:
        return {}, set()
    window = adapters.late_usage_window()
    records = defaultdict(list)
    for r in (BillingRecord.objects
              .filter(subscription_id__any=[s.pk for s in wanted], kind=BillingKind.ARREARS,
                      period_end__lte=max(ended[s.pk].start for s in wanted),
                      period_end__gt=min(ended[s.pk].start for s in wanted) - window)
              .exclude(invoice__status=InvoiceStatus.VOID).only("subscription_id", "period_start", "period_end")):
        start = ended[r.subscription_id].start
        if start - window < r.period_end <= start:  # the bounds above are the chunk's; these are its own
            records[r.subscription_id].append(Period(r.period_start, r.period_end))
    if not records:
        return {}, set()
    by_id = {s.pk: s for s in wanted}
    periods = {pk: sorted(set(found), key=lambda p: p.start) for pk, found in records.items()}
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
    return result, set()


def _charges_many(subs, terms) -> dict:
    """{subscription id: the engine's charges}: made once per shared tuple of charge terms (subscriptions
    without overrides share their version's, `plan_terms_for_many`), not once per subscription."""
    made: dict[tuple[int, str], tuple] = {}
    result = {}
    for s in subs:
        key = (id(terms[s.pk].charges), s.currency)  # the tuples stay alive in `terms` meanwhile
        if key not in made:
            made[key] = adapters.charges_from_terms(terms[s.pk], s.currency)
        result[s.pk] = made[key]
    return result


def subscriptions_bill_renewal_many(*, subscription_ids: list[int], at: datetime) -> dict:
    """`subscription_bill_renewal` for every id, in one transaction (module docstring).
    Returns {"created": [invoice ids], "skipped": n}."""
    from invoicing.services.subscriptions import subscription_bill_renewal

    with transaction.atomic():
        relax_commit_flush()
        subs = list(Subscription.objects.select_for_update(of=("self",))
                    .select_related("plan", "plan_version", "account")
                    .filter(pk__any=subscription_ids, current_period_end__lte=at).order_by("pk"))
        skipped = len(set(subscription_ids)) - len(subs)
        ids = [s.pk for s in subs]
        ended = {s.pk: Period(s.current_period_start, s.current_period_end) for s in subs}
        billed = set()
        if subs:
            billed = set(BillingRecord.objects.filter(
                subscription_id__any=ids, period_start__gte=min(p.start for p in ended.values()))
                .values_list("subscription_id", "kind", "period_start"))
        single = [s for s in subs if (s.pk, BillingKind.ARREARS, ended[s.pk].start) in billed]
        subs = [s for s in subs if (s.pk, BillingKind.ARREARS, ended[s.pk].start) not in billed]
        terms = plan_terms_for_many(subs)
        charges = _charges_many(subs, terms)
        book = UsageBook()
        for s in subs:
            if s.status in USAGE_BILLED and charges[s.pk]:
                book.want(s.account_id, [c.metric_code for c in charges[s.pk]], ended[s.pk])
        book.load()
        late, odd = _late_usage_many(subs, ended, charges, book)
        single += [s for s in subs if s.pk in odd]
        subs = [s for s in subs if s.pk not in odd]
        prorations = defaultdict(list)
        for item in proration_items_pending().filter(subscription_id__any=[s.pk for s in subs], created_at__lte=at):
            prorations[item.subscription_id].append(item)
        before = {s.pk: (s.status, s.plan_version_id, s.quantity) for s in subs}
        # The plain renewals move on these locked objects; the others are read again.
        _, in_place = subscriptions_period_advance_locked(subscriptions=subs,
                                                          expected_period_ends={s.pk: ended[s.pk].end for s in subs})
        after = {s.pk: s for s in subs if s.pk in in_place}
        moved_otherwise = [s.pk for s in subs if s.pk not in in_place]
        if moved_otherwise:  # usually none: not even a query to compile
            after.update({s.pk: s for s in Subscription.objects.select_related("plan", "plan_version", "account")
                          .filter(pk__any=moved_otherwise)})
        changed = [after[pk] for pk, (_, version, quantity) in before.items()
                   if (after[pk].plan_version_id, after[pk].quantity) != (version, quantity)]
        terms.update(plan_terms_for_many(changed))  # a scheduled change applied at the boundary
        discounts = defaultdict(list)
        for d in SubscriptionDiscount.objects.filter(subscription_id__any=list(after), status=DiscountStatus.ACTIVE) \
                .select_related("coupon"):
            discounts[d.subscription_id].append(d)
        contexts = tax_contexts_for_many({s.account for s in after.values()})
        drafts = []
        for pk, (status_before, _, _) in before.items():
            sub, period = after[pk], ended[pk]
            usage_billed = status_before in USAGE_BILLED
            records = [(BillingKind.ARREARS, period)]
            recurring = advance = None
            if (sub.status in ADVANCE_BILLED and sub.current_period_start == period.end
                    and not (sub.status == S.PAUSED and not sub.bill_during_pause)):
                advance = Period(sub.current_period_start, sub.current_period_end)
                if (pk, BillingKind.ADVANCE, advance.start) not in billed:
                    recurring = adapters.recurring_from_terms(terms[pk])
                    records.append((BillingKind.ADVANCE, advance))
                else:
                    advance = None
            coupons = tuple(c for c in (adapters.coupon_from_discount(d, sub.currency) for d in discounts[pk]) if c)
            data = InvoiceInput(
                currency=sub.currency, recurring=recurring, advance_period=advance,
                charges=charges[pk] if usage_billed else (),
                usage=book.usage_for(sub.account_id, [c.metric_code for c in charges[pk]], period)
                if usage_billed and charges[pk] else {},
                usage_period=period if usage_billed else None,
                prorations=tuple(adapters.proration_from_item(p) for p in prorations[pk]), late_usage=late.get(pk, ()),
                coupons=coupons,
            )
            if not (data.recurring or data.charges or data.prorations or data.late_usage):
                skipped += 1
                continue
            drafts.append((sub, data, records, advance, period))
        created = _write_many(drafts, prorations, discounts, contexts, at)
        for s in single:  # already billed (only the period moves), or late usage this pass does not read
            invoice = subscription_bill_renewal(subscription_id=s.pk, at=at)
            if invoice is None:
                skipped += 1
            else:
                created.append(invoice.pk)
    return {"created": created, "skipped": skipped}


def _write_many(drafts, prorations, discounts, contexts, at) -> list[int]:
    return renewals_write(drafts, prorations=prorations, discounts=discounts, contexts=contexts, at=at,
                          collection_method=_collection_method)
