"""The set-based bill run: a chunk renewed and finalized in one transaction each bills exactly what
one-by-one billing bills, in a number of queries that does not grow with the chunk, all or nothing
when killed, idempotent when run again, and a bad subscription only fails itself."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import clock
from billing.models import AuditEntry, OutboxEvent, Subscription
from billing.services import (
    coupon_create,
    credit_grant,
    subscription_cancel,
    subscription_change,
    subscription_create,
)
from invoicing.models import BillingRecord, BillRun, Invoice, NumberSequence
from invoicing.services.bill_runs import bill_run_chunk_process
from invoicing.services.finalize_bulk import invoices_finalize_many
from invoicing.services.renewals_bulk import subscriptions_bill_renewal_many
from invoicing.services.subscriptions import subscription_bill_renewal
from invoicing.services.transitions import invoice_finalize
from metering.ingest.decode import EventIn
from metering.services.ingestion import usage_events_record
from tests.billing.catalog_factories import metric, plan
from tests.invoicing.factories import profile, utc

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)

# The documented bound (docs/invoicing.md, "Performance"): a chunk of renewals, and a chunk of
# finalizations, run this many SQL statements whatever the number of subscriptions in it, for
# subscriptions without prorations, coupons or customer credit (each of those adds a few
# statements for the subscription that has them). A table written through a staging table
# (billing.rows.rows_copy) takes two: the staging table's creation, then COPY and INSERT.
RENEWAL_CHUNK_QUERIES = 38
FINALIZE_CHUNK_QUERIES = 30


@pytest.fixture
def catalog(operator):
    metric("llm_tokens", aggregation="sum")
    metric("api_calls")
    return plan(code="standard", flat=9900, seat=500, included_seats=25, charges=[
        {"metric": "llm_tokens", "currency": "USD", "model": "standard", "unit_price": "0.01", "block_size": 1000,
         "free_units": 1_000_000},
        {"metric": "api_calls", "currency": "USD", "model": "graduated",
         "tiers": [{"up_to": 1000, "unit_price": "0.01", "flat_fee": 0},
                   {"up_to": None, "unit_price": "0.005", "flat_fee": 0}]}])


def usage(account, metric_code, value, at, key):
    value = None if metric_code == "api_calls" else D(value)  # a count metric counts events, refuses a value
    with clock.frozen(at + timedelta(minutes=1)):
        usage_events_record(events=[EventIn(metric=metric_code, idempotency_key=f"{account.pk}-{key}", timestamp=at,
                                            value=value, account_id=account.pk)])


def subscribed(catalog, make_account, n, **kwargs):
    subs = []
    with clock.frozen(JAN):
        for _ in range(n):
            account = make_account()
            subs.append(subscription_create(account=account, plan=catalog, quantity=30, **kwargs))
            usage(account, "llm_tokens", 1_250_000, JAN + timedelta(days=3), "t")
            usage(account, "api_calls", 1, JAN + timedelta(days=4), "c")
    return subs


def cohort(catalog, make_account, bigger):
    """One subscription of every kind the bill run meets."""
    coupon = coupon_create(code=f"TEN{Invoice.objects.count()}{Subscription.objects.count()}", name="Ten",
                           percent_off=10, duration="repeating", duration_in_periods=3)
    subs = subscribed(catalog, make_account, 5)
    plain, with_coupon, changed, canceling, with_credit = subs
    with clock.frozen(JAN + timedelta(days=1)):
        from billing.services.customers import discount_apply

        discount_apply(subscription=with_coupon, code=coupon.code)
    with clock.frozen(JAN + timedelta(days=15)):
        subscription_change(subscription=changed, plan=bigger, timing="immediate")
        subscription_cancel(subscription=canceling, at_period_end=True)
        credit_grant(account=with_credit.account, amount=5000, currency="USD", reason="goodwill")
    profile(with_credit.account, country="DE")
    with clock.frozen(JAN):
        trial = subscription_create(account=make_account(), plan=catalog, trial_days=31)
    return [*subs, trial]


def picture(invoice):
    lines = sorted((line.kind, line.metric_code, line.group_key, line.quantity, line.amount, line.period_start,
                    line.period_end, line.tax_amount, str(line.description))
                   for line in invoice.lines.all())
    return (invoice.status, invoice.billing_reason, invoice.period_start, invoice.period_end, invoice.subtotal,
            invoice.discount_total, invoice.tax_total, invoice.total, invoice.credit_applied, invoice.amount_due,
            invoice.due_date, invoice.finalize_after, lines,
            sorted((d.percent_off, d.amount) for d in invoice.discounts.all()),
            sorted((r.kind, r.period_start) for r in BillingRecord.objects.filter(invoice=invoice)))


def test_a_chunk_bills_and_finalizes_what_one_by_one_billing_does(catalog, make_account):
    bigger = plan(code="bigger", flat=19900)
    singles, chunk = cohort(catalog, make_account, bigger), cohort(catalog, make_account, bigger)
    with clock.frozen(FEB + timedelta(minutes=5)):
        billed = [subscription_bill_renewal(subscription_id=sub.pk) for sub in singles]
        made = subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in chunk], at=clock.now())
    assert len(made["created"]) == len([b for b in billed if b]) == 6  # the trial turned active: billed too
    with clock.frozen(FEB + timedelta(hours=2)):
        usage(singles[0].account, "api_calls", 1, JAN + timedelta(days=30), "grace")  # late, in the grace period
        usage(chunk[0].account, "api_calls", 1, JAN + timedelta(days=30), "grace")
        for invoice in Invoice.objects.filter(subscription__in=singles, status="draft").order_by("id"):
            invoice_finalize(invoice=invoice)
        assert len(invoices_finalize_many(invoice_ids=list(Invoice.objects.filter(
            subscription__in=chunk, status="draft").values_list("id", flat=True)))) == 6
    usage(singles[0].account, "api_calls", 1, JAN + timedelta(days=30, hours=1), "late")  # after finalization
    usage(chunk[0].account, "api_calls", 1, JAN + timedelta(days=30, hours=1), "late")
    with clock.frozen(MAR + timedelta(minutes=5)):
        for sub in singles:
            subscription_bill_renewal(subscription_id=sub.pk)
        subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in chunk], at=clock.now())
    for one, other in zip(singles, chunk, strict=True):
        mine = [picture(i) for i in Invoice.objects.filter(subscription=one).order_by("id")]
        theirs = [picture(i) for i in Invoice.objects.filter(subscription=other).order_by("id")]
        assert mine == theirs
        one, other = Subscription.objects.get(pk=one.pk), Subscription.objects.get(pk=other.pk)
        assert (one.status, one.current_period_start, one.current_period_end) == (
            other.status, other.current_period_start, other.current_period_end)
    late = Invoice.objects.get(subscription=chunk[0], period_start=FEB).lines.get(kind="late_usage")
    assert late.quantity == 1
    finalized = Invoice.objects.filter(subscription__in=chunk).exclude(status="draft")
    for invoice in finalized:
        assert AuditEntry.objects.filter(action="invoice.finalized", object_id=str(invoice.pk)).count() == 1
        assert OutboxEvent.objects.filter(type="billing.invoice.finalized", payload__invoice_id=invoice.pk).count() == 1
    assert Invoice.objects.get(subscription=chunk[4], period_start=JAN).credit_applied > 0


def test_the_number_of_queries_does_not_grow_with_the_chunk(catalog, make_account):
    small, large = subscribed(catalog, make_account, 2), subscribed(catalog, make_account, 8)
    run = BillRun.objects.create(started_at=FEB, billing_time=FEB, subscriptions_due=10, chunks=3)  # not finished
    counts = {}
    for name, subs in (("small", small), ("large", large)):
        with clock.frozen(FEB + timedelta(minutes=5)), CaptureQueriesContext(connection) as renewals:
            assert bill_run_chunk_process(run_id=run.pk, subscription_ids=[s.pk for s in subs],
                                          at=clock.now())["created"] == len(subs)
        drafts = list(Invoice.objects.filter(subscription__in=subs, status="draft").values_list("id", flat=True))
        with clock.frozen(FEB + timedelta(hours=2)), CaptureQueriesContext(connection) as finalizations:
            assert len(invoices_finalize_many(invoice_ids=drafts)) == len(subs)
        counts[name] = (len(renewals), len(finalizations))
    assert counts["small"] == counts["large"]
    renewals, finalizations = counts["large"]
    assert renewals <= RENEWAL_CHUNK_QUERIES and finalizations <= FINALIZE_CHUNK_QUERIES


def test_a_chunk_killed_halfway_writes_nothing_and_the_next_run_bills_each_once(catalog, make_account, monkeypatch):
    subs = subscribed(catalog, make_account, 3)
    ids = [s.pk for s in subs]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the worker dies after the invoices were inserted

    monkeypatch.setattr("invoicing.services.renewal_rows.audit_record_many", killed)
    with clock.frozen(FEB + timedelta(minutes=5)), pytest.raises(KeyboardInterrupt):
        subscriptions_bill_renewal_many(subscription_ids=ids, at=clock.now())
    assert not Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle").exists()
    assert not BillingRecord.objects.filter(subscription_id__in=ids, period_start=JAN).exists()
    assert {s.current_period_start for s in Subscription.objects.filter(pk__in=ids)} == {JAN}
    monkeypatch.undo()
    run = BillRun.objects.create(started_at=FEB, billing_time=FEB, subscriptions_due=3, chunks=2)
    with clock.frozen(FEB + timedelta(minutes=5)):
        assert bill_run_chunk_process(run_id=run.pk, subscription_ids=ids, at=clock.now())["created"] == 3
        assert bill_run_chunk_process(run_id=run.pk, subscription_ids=ids, at=clock.now())["created"] == 0
        assert subscriptions_bill_renewal_many(subscription_ids=ids, at=clock.now())["created"] == []
    assert Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle").count() == 3
    assert {s.current_period_start for s in Subscription.objects.filter(pk__in=ids)} == {FEB}


def test_a_finalization_killed_halfway_takes_no_number(catalog, make_account, monkeypatch):
    subs = subscribed(catalog, make_account, 3)
    with clock.frozen(FEB + timedelta(minutes=5)):
        subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in subs], at=clock.now())
    drafts = list(Invoice.objects.filter(subscription__in=subs, status="draft").order_by("id")
                  .values_list("id", flat=True))
    counter = NumberSequence.objects.filter(series="INV").values_list("last_value", flat=True).first() or 0

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("invoicing.services.finalize_bulk.event_record_many", killed)
    with clock.frozen(FEB + timedelta(hours=2)), pytest.raises(KeyboardInterrupt):
        invoices_finalize_many(invoice_ids=drafts)
    assert set(Invoice.objects.filter(pk__in=drafts).values_list("status", flat=True)) == {"draft"}
    assert (NumberSequence.objects.filter(series="INV").values_list("last_value", flat=True).first() or 0) == counter
    monkeypatch.undo()
    with clock.frozen(FEB + timedelta(hours=2)):
        assert invoices_finalize_many(invoice_ids=drafts) == drafts
        assert invoices_finalize_many(invoice_ids=drafts) == []
    numbers = list(Invoice.objects.filter(pk__in=drafts).order_by("id").values_list("number", flat=True))
    assert numbers == [f"INV-2026-{counter + i:06d}" for i in (1, 2, 3)]  # consecutive, no gap


def test_a_bad_subscription_fails_alone(catalog, make_account):
    good = subscribed(catalog, make_account, 2)
    bad = subscribed(catalog, make_account, 1, metadata={"collection_method": "carrier_pigeon"})[0]
    run = BillRun.objects.create(started_at=FEB, billing_time=FEB, subscriptions_due=3, chunks=1)
    with clock.frozen(FEB + timedelta(minutes=5)):
        result = bill_run_chunk_process(run_id=run.pk, subscription_ids=[good[0].pk, bad.pk, good[1].pk],
                                        at=clock.now())
    assert (result["created"], result["errors"]) == (2, 1)
    run.refresh_from_db()
    assert [e["subscription_id"] for e in run.error_details] == [bad.pk]
    assert not Invoice.objects.filter(subscription=bad, billing_reason="subscription_cycle").exists()


def test_drafts_of_one_account_in_two_currencies_are_finalized_one_by_one(operator, make_account):
    from invoicing.services import invoices_finalize_due
    from tests.invoicing.factories import draft

    account = make_account()
    with clock.frozen(JAN):
        usd = draft(account, finalize_after=JAN)
        eur = draft(account, currency="EUR", finalize_after=JAN)
    with clock.frozen(JAN + timedelta(hours=1)):
        assert invoices_finalize_due() == 1  # the chunk fails on the second currency; one by one, USD passes
    assert (Invoice.objects.get(pk=usd.pk).status, Invoice.objects.get(pk=eur.pk).status) == ("open", "draft")


def test_a_chunk_mixing_periods_reads_each_accounts_usage_where_it_belongs(catalog, make_account):
    """One subscription billed late for January, another billing February with January's late usage:
    January's usage is read for both accounts in the same chunk."""
    cohorts = []
    for _ in range(2):
        behind, ahead = subscribed(catalog, make_account, 2)
        with clock.frozen(FEB + timedelta(minutes=5)):
            subscription_bill_renewal(subscription_id=ahead.pk)
        usage(ahead.account, "api_calls", 1, JAN + timedelta(days=30), "late")
        usage(behind.account, "llm_tokens", 5, JAN + timedelta(days=30), "late")
        cohorts.append((behind, ahead))
    (singles, chunk) = cohorts
    with clock.frozen(MAR + timedelta(minutes=5)):
        for sub in singles:
            subscription_bill_renewal(subscription_id=sub.pk)
        assert len(subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in chunk],
                                                   at=clock.now())["created"]) == 2
    for one, other in zip(singles, chunk, strict=True):
        assert [picture(i) for i in Invoice.objects.filter(subscription=one).order_by("id")] == \
               [picture(i) for i in Invoice.objects.filter(subscription=other).order_by("id")]
    assert Invoice.objects.get(subscription=chunk[1], period_start=FEB).lines.get(kind="late_usage").quantity == 1
