"""With no grace period the bill run finalizes its renewals in the same transaction: exactly the
invoices, numbers, lines, audit entries, events, credit and currency lock that writing drafts and
finalizing them next gives; a second run bills nothing twice; with a grace period, drafts as before."""

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import clock
from billing.models import (
    AuditEntry,
    BillingProfile,
    CreditEntry,
    OutboxEvent,
    ProrationItem,
    SubscriptionDiscount,
)
from invoicing.models import BillingRecord, BillRun, Invoice, NumberSequence
from invoicing.services.bill_runs import bill_run_chunk_process
from invoicing.services.finalize_bulk import invoices_finalize_many
from invoicing.services.renewals_bulk import subscriptions_bill_renewal_many
from invoicing.services.subscriptions import subscription_bill_renewal
from tests.billing.catalog_factories import plan
from tests.invoicing.test_bill_run_chunks import (  # noqa: F401
    FEB,
    FINALIZE_CHUNK_QUERIES,
    RENEWAL_CHUNK_QUERIES,
    catalog,
    cohort,
    picture,
    subscribed,
)

pytestmark = pytest.mark.django_db
AT = FEB + timedelta(minutes=5)


class Rollback(Exception):
    pass


def outcome(subs) -> dict:
    """Everything the renewals of `subs` wrote, with invoice ids replaced by their subscription's."""
    invoices = {i.pk: i for i in Invoice.objects.filter(subscription__in=subs, billing_reason="subscription_cycle")}
    alias = {pk: f"invoice-of-{i.subscription_id}" for pk, i in invoices.items()}

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in ("id", "created_at", "updated_at")}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, str):
            return re.sub(r"invoicing\.invoice:(\d+)", lambda m: "invoicing.invoice:" + alias[int(m.group(1))], value)
        return value

    accounts = {s.account_id for s in subs}
    audit = sorted(
        (e.action, e.object_type, alias.get(int(e.object_id)) if e.object_type == "invoicing.invoice" else
         (e.object_id if e.object_type == "billing.subscription" else ""), e.account_id, repr(plain(e.before)),
         repr(plain(e.after)))
        for e in AuditEntry.objects.filter(account_id__in=accounts))
    events = sorted((e.type, e.account_id, repr(plain({**e.payload, "invoice_id": alias.get(e.payload.get(
        "invoice_id"))}))) for e in OutboxEvent.objects.filter(account_id__in=accounts))
    return {
        "invoices": sorted((i.subscription_id, i.number, i.series, i.issue_date, i.finalized_at, i.paid_at,
                            i.customer_snapshot, i.operator_snapshot, i.language, i.net_terms_days,
                            i.tax_breakdown, i.tax_note, i.collection_method, picture(i))
                           for i in invoices.values()),
        "numbers in subscription order": [i.number for i in sorted(invoices.values(),
                                                                   key=lambda i: i.subscription_id)],
        "counter": NumberSequence.objects.get(series="INV", year=2026).last_value,
        "audit": audit,
        "events": events,
        "records": sorted((r.subscription_id, r.kind, r.period_start, alias[r.invoice_id])
                          for r in BillingRecord.objects.filter(subscription__in=subs)
                          if r.invoice_id in alias),
        "credit": sorted((c.account_id, c.kind, c.amount, plain(c.reference))
                         for c in CreditEntry.objects.filter(account_id__in=accounts)),
        "profiles": sorted((p.account_id, p.currency, p.currency_locked_at)
                           for p in BillingProfile.objects.filter(account_id__in=accounts)),
        "prorations": sorted((p.subscription_id, p.invoiced_at, plain(p.invoice_reference))
                             for p in ProrationItem.objects.filter(subscription__in=subs)),
        "discounts": sorted((d.subscription_id, d.periods_used, d.last_used_period_start, d.status)
                            for d in SubscriptionDiscount.objects.filter(subscription__in=subs)),
    }


def billed(subs, how) -> dict:
    """Bill `subs` at AT one way, take the outcome, and roll it all back (the counter row too)."""
    result = {}
    try:
        with transaction.atomic(), clock.frozen(AT):
            how([s.pk for s in subs])
            result = outcome(subs)
            raise Rollback
    except Rollback:
        pass
    return result


def draft_then_finalize(ids):
    for pk in ids:  # the one-by-one path writes drafts, due at once with no grace period
        subscription_bill_renewal(subscription_id=pk, at=clock.now())
    drafts = list(Invoice.objects.filter(subscription_id__in=ids, status="draft").order_by("id")
                  .values_list("id", flat=True))
    invoices_finalize_many(invoice_ids=drafts)


def same_pass(ids):
    made = subscriptions_bill_renewal_many(subscription_ids=ids, at=clock.now())
    assert made["created"]
    assert not Invoice.objects.filter(pk__in=made["created"], status="draft").exists()


@pytest.fixture
def no_grace(settings):
    settings.INVOICE_GRACE_PERIOD_SECONDS = 0


def test_same_pass_finalization_writes_what_draft_then_finalize_writes(catalog, make_account, no_grace):  # noqa: F811
    subs = cohort(catalog, make_account, plan(code="bigger", flat=19900))
    reference, ours = billed(subs, draft_then_finalize), billed(subs, same_pass)
    assert len(reference["invoices"]) == 6 and reference["audit"] and reference["events"]
    assert any(kind == "consumption" for _, kind, _, _ in reference["credit"])  # credit applied
    assert any(invoiced for _, invoiced, _ in reference["prorations"])  # the plan change's proration
    for key in reference:
        assert ours[key] == reference[key], key


def test_a_second_run_after_same_pass_bills_nothing_twice(catalog, make_account, no_grace):  # noqa: F811
    subs = subscribed(catalog, make_account, 3)
    ids = [s.pk for s in subs]
    run = BillRun.objects.create(started_at=FEB, billing_time=FEB, subscriptions_due=3, chunks=2)
    with clock.frozen(AT):
        assert bill_run_chunk_process(run_id=run.pk, subscription_ids=ids, at=clock.now())["created"] == 3
        numbers = sorted(Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle")
                         .values_list("number", flat=True))
        audits, events = AuditEntry.objects.exclude(action__startswith="bill_run.").count(), OutboxEvent.objects.count()
        assert bill_run_chunk_process(run_id=run.pk, subscription_ids=ids, at=clock.now())["created"] == 0
    invoices = Invoice.objects.filter(subscription_id__in=ids, billing_reason="subscription_cycle")
    assert sorted(invoices.values_list("number", flat=True)) == numbers
    assert len(set(numbers)) == 3 and None not in numbers
    assert set(invoices.values_list("status", flat=True)) == {"open"}
    assert (AuditEntry.objects.exclude(action__startswith="bill_run.").count(), OutboxEvent.objects.count()) == (
        audits, events)


def test_with_a_grace_period_the_run_writes_drafts_finalized_later(catalog, make_account):  # noqa: F811
    subs = subscribed(catalog, make_account, 2)
    with clock.frozen(AT):
        made = subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in subs], at=clock.now())
    drafts = Invoice.objects.filter(pk__in=made["created"])
    assert {(i.status, i.number, i.finalize_after) for i in drafts} == {("draft", None, AT + timedelta(hours=1))}
    assert not AuditEntry.objects.filter(action="invoice.finalized", object_id__in=[str(i) for i in made["created"]])


def test_same_pass_statements_do_not_grow_with_the_chunk(catalog, make_account, no_grace):  # noqa: F811
    counts = []
    for n in (2, 8):
        subs = subscribed(catalog, make_account, n)
        with clock.frozen(AT), CaptureQueriesContext(connection) as queries:
            assert len(subscriptions_bill_renewal_many(subscription_ids=[s.pk for s in subs],
                                                       at=clock.now())["created"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1] <= RENEWAL_CHUNK_QUERIES + FINALIZE_CHUNK_QUERIES
