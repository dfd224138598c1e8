"""The single renewal (`subscription_bill_renewal`) and the set-based one (`subscriptions_bill_renewal_many`)
decide alike (`renewal_decide`) and read late usage alike (`late_usage_many`): the same subscriptions,
billed one way and then, rolled back, the other, write the same invoices, lines, taxes, totals, billing
records, audit entries, events, proration and coupon marks, and leave the subscriptions in the same state.
tests/invoicing/test_bill_run_chunks.py does the same for the common kinds; here the rarer ones."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import clock
from billing.models import Subscription
from billing.selectors.terms_bulk import plan_terms_for_many
from billing.services import coupon_create, subscription_create, subscription_pause
from billing.services.customers import discount_apply
from invoicing.models import BillingKind, BillingRecord, Invoice, NumberSequence
from invoicing.services.renewal_reads import late_usage_many
from invoicing.services.renewals_bulk import _charges_many, subscriptions_bill_renewal_many
from invoicing.services.subscriptions import subscription_bill_renewal
from pricing import Period
from tests.invoicing.factories import draft, profile, utc
from tests.invoicing.test_bill_run_chunks import (  # noqa: F401
    FEB,
    JAN,
    MAR,
    catalog,
    subscribed,
    usage,
)
from tests.invoicing.test_bill_run_same_pass import Rollback, outcome

pytestmark = pytest.mark.django_db
APR = utc(2026, 4, 1)


def one_by_one(ids, at):
    for pk in ids:
        subscription_bill_renewal(subscription_id=pk, at=at)


def as_a_chunk(ids, at):
    subscriptions_bill_renewal_many(subscription_ids=ids, at=at)


def both_ways(subs, at) -> tuple[dict, dict]:
    """What billing `subs` at `at` writes one by one, and as one chunk, each rolled back afterwards."""
    NumberSequence.objects.get_or_create(series="INV", year=2026)  # `outcome` reads the counter
    results = []
    for how in (one_by_one, as_a_chunk):
        try:
            with transaction.atomic(), clock.frozen(at):
                how([s.pk for s in subs], at)
                result = outcome(subs)
                result["subscriptions"] = sorted(Subscription.objects.filter(pk__in=[s.pk for s in subs]).values_list(
                    "pk", "status", "current_period_start", "current_period_end", "plan_version_id", "quantity"))
                results.append(result)
                raise Rollback
        except Rollback:
            pass
    return results[0], results[1]


def assert_alike(single, chunk):
    for key in single:
        assert chunk[key] == single[key], key


def test_rarer_renewals_bill_the_same_one_by_one_and_as_a_chunk(catalog, make_account):  # noqa: F811
    with clock.frozen(JAN):
        percent = coupon_create(code="TWINS10", name="Ten", percent_off=10, duration="forever")
        dollars = coupon_create(code="TWINS-USD", name="Five dollars", amount_off=500, currency="USD",
                                duration="forever")
    paused, billing_paused, coupons, send_invoice, prebilled, taxed = subscribed(catalog, make_account, 6)
    with clock.frozen(JAN + timedelta(days=1)):
        discount_apply(subscription=coupons, code=percent.code)
        discount_apply(subscription=send_invoice, code=dollars.code)
    with clock.frozen(JAN + timedelta(days=10)):
        subscription_pause(subscription=paused)
        subscription_pause(subscription=billing_paused, bill_during_pause=True)
    Subscription.objects.filter(pk=send_invoice.pk).update(metadata={"collection_method": "send_invoice"})
    profile(taxed.account, country="DE", tax_id="")
    # February already billed in advance (say, by a run that failed after writing it): not again.
    BillingRecord.objects.create(account_id=prebilled.account_id, subscription=prebilled, kind=BillingKind.ADVANCE,
                                 period_start=FEB, period_end=MAR,
                                 invoice=draft(prebilled.account, subscription_id=prebilled.pk, period_start=FEB,
                                               period_end=MAR, billing_reason="subscription_cycle"))
    with clock.frozen(JAN):
        ended_trial = subscription_create(account=make_account(), plan=catalog, trial_days=31)
    Subscription.objects.filter(pk=ended_trial.pk).update(trial_end_behavior="cancel")
    subs = [paused, billing_paused, coupons, send_invoice, prebilled, taxed, ended_trial]

    single, chunk = both_ways(subs, FEB + timedelta(minutes=5))

    renewals = [row for row in single["invoices"] if row[-1][2] == JAN]  # billed for the period that ended
    assert len(renewals) == 6  # the trial that ended canceled bills nothing
    by_sub = {row[0]: row for row in renewals}
    kinds = {pk: sorted(line[0] for line in row[-1][12]) for pk, row in by_sub.items()}
    assert "flat" not in kinds[paused.pk] and "flat" in kinds[billing_paused.pk]
    assert "flat" not in kinds[prebilled.pk] and "usage" in kinds[prebilled.pk]
    assert by_sub[send_invoice.pk][12] == "send_invoice"
    assert [percent for percent, _ in by_sub[coupons.pk][-1][13]] == [10]
    assert [amount for _, amount in by_sub[send_invoice.pk][-1][13]] == [500]
    assert_alike(single, chunk)


def test_late_usage_of_two_earlier_periods_is_read_and_billed_the_same_both_ways(catalog, make_account):  # noqa: F811
    subs = subscribed(catalog, make_account, 3)
    for when in (FEB, MAR):
        with clock.frozen(when + timedelta(minutes=5)):
            for sub in subs:
                subscription_bill_renewal(subscription_id=sub.pk)
    late_jan, late_feb, on_time = subs
    usage(late_jan.account, "api_calls", 1, JAN + timedelta(days=29), "late-jan")  # received 1 Jan 30 + 1 min
    with clock.frozen(MAR + timedelta(days=2)):  # 32 days after its time: still accepted
        usage(late_jan.account, "llm_tokens", 400_000, JAN + timedelta(days=30), "late-jan-tokens")
    usage(late_feb.account, "api_calls", 1, FEB + timedelta(days=27), "late-feb")
    # (`usage` sends each event a minute after its time: after the renewal that read its period.)
    single, chunk = both_ways(subs, APR + timedelta(minutes=5))

    april = {row[0]: row[-1][12] for row in single["invoices"] if row[-1][2] == MAR}
    late = {pk: [(line[1], line[3], line[5]) for line in lines if line[0] == "late_usage"]
            for pk, lines in april.items()}
    assert late[on_time.pk] == []
    assert late[late_feb.pk] == [("api_calls", 1, FEB)]
    assert sorted(late[late_jan.pk]) == [("api_calls", 1, JAN), ("llm_tokens", 400_000, JAN)]
    assert_alike(single, chunk)


def test_the_late_usage_read_gives_each_subscription_alone_what_it_gives_it_among_others(catalog,  # noqa: F811
                                                                                        make_account):
    subs = subscribed(catalog, make_account, 3)
    with clock.frozen(FEB + timedelta(minutes=5)):
        for sub in subs:
            subscription_bill_renewal(subscription_id=sub.pk)
    usage(subs[0].account, "api_calls", 1, JAN + timedelta(days=30), "late-0")
    usage(subs[1].account, "llm_tokens", 2_000_000, JAN + timedelta(days=30), "late-1")
    fresh = list(Subscription.objects.filter(pk__in=[s.pk for s in subs]).order_by("pk"))
    before = {s.pk: Period(s.current_period_start, s.current_period_end) for s in fresh}
    charges = _charges_many(fresh, plan_terms_for_many(fresh))
    with clock.frozen(MAR + timedelta(minutes=5)):
        with CaptureQueriesContext(connection) as together:
            all_at_once = late_usage_many(fresh, before=before, charges=charges)
        alone = {}
        for sub in fresh:
            with CaptureQueriesContext(connection) as one:
                alone.update(late_usage_many([sub], before=before, charges=charges))
    assert all_at_once == alone
    assert [(u.metric_code, u.late_quantity, u.period) for u in all_at_once[subs[0].pk]] == [
        ("api_calls", 1, Period(JAN, FEB))]
    assert [(u.metric_code, u.late_quantity) for u in all_at_once[subs[1].pk]] == [("llm_tokens", 2_000_000)]
    assert all_at_once.get(subs[2].pk, ()) == ()
    assert len(together) == len(one)  # set-based: as many queries for three as for one
    assert Invoice.objects.filter(subscription__in=subs).count() == 3  # a read: nothing written
