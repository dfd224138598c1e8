"""The bill run's set-based pass: the renewals of a whole chunk in one transaction.

`subscriptions_bill_renewal_many` does what `subscription_bill_renewal` does for each
subscription of the chunk, with the reads done for the whole chunk at once (terms,
usage, late usage, billing records, prorations, discounts, tax: a handful of queries;
`renewal_reads`), what to bill decided per subscription by the same pure `renewal_decide`,
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

from billing.models import DiscountStatus, Subscription, SubscriptionDiscount
from billing.selectors import proration_items_pending
from billing.selectors.terms_bulk import plan_terms_for_many
from billing.services.lifecycle_bulk import subscriptions_period_advance_locked
from invoicing import adapters
from invoicing.selectors import tax_contexts_for_many
from invoicing.services.renewal_decision import arrears_billed, bills_usage, renewal_decide
from invoicing.services.renewal_reads import UsageBook, billed_records, late_usage_many
from invoicing.services.renewal_rows import renewals_write
from pricing import Period


def relax_commit_flush() -> None:
    """For this transaction only: see the module docstring (a lost commit is redone by the re-run)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


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
        # Set-based: the chunk's rows locked in one statement (billing.transitions.row_lock locks one).
        subs = list(Subscription.objects.select_for_update(of=("self",))
                    .select_related("plan", "plan_version", "account")
                    .filter(pk__any=subscription_ids, current_period_end__lte=at).order_by("pk"))
        skipped = len(set(subscription_ids)) - len(subs)
        ended = {s.pk: Period(s.current_period_start, s.current_period_end) for s in subs}
        billed = billed_records([s.pk for s in subs], since=min(p.start for p in ended.values())) if subs else {}
        # Already billed for the ended period: only the period moves, through the single path.
        single = [s for s in subs if arrears_billed(billed[s.pk], ended[s.pk])]
        subs = [s for s in subs if not arrears_billed(billed[s.pk], ended[s.pk])]
        terms = plan_terms_for_many(subs)
        charges = _charges_many(subs, terms)
        book = UsageBook()
        for s in subs:
            if bills_usage(s.status) and charges[s.pk]:
                book.want(s.account_id, [c.metric_code for c in charges[s.pk]], ended[s.pk])
        book.load()
        late = late_usage_many(subs, before=ended, charges=charges, book=book)
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
            usage = book.usage_for(sub.account_id, [c.metric_code for c in charges[pk]], period) \
                if bills_usage(status_before) and charges[pk] else {}
            renewal = renewal_decide(subscription=sub, status_before=status_before, ended=period, billed=billed[pk],
                                     terms=terms[pk], charges=charges[pk], usage=usage, late_usage=late.get(pk, ()),
                                     prorations=prorations[pk], discounts=discounts[pk])
            if renewal is None:
                skipped += 1
                continue
            drafts.append((sub, renewal))
        created = renewals_write(drafts, prorations=prorations, contexts=contexts, at=at)
        for s in single:
            invoice = subscription_bill_renewal(subscription_id=s.pk, at=at)
            if invoice is None:
                skipped += 1
            else:
                created.append(invoice.pk)
    return {"created": created, "skipped": skipped}
