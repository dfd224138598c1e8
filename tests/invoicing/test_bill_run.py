"""Bill runs: usage in arrears, fees in advance, prorations, late usage, coupons; idempotent;
first invoices of new subscriptions; the upcoming-invoice dry run writes nothing."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from billing import clock
from billing.models import ProrationItem, Subscription
from billing.services import (
    coupon_create,
    subscription_cancel,
    subscription_change,
    subscription_create,
)
from invoicing.models import BillingRecord, BillRun, Invoice
from invoicing.services import invoices_finalize_due
from invoicing.services.bill_runs import bill_run_start
from invoicing.services.subscriptions import subscription_bill_renewal
from invoicing.upcoming import invoice_upcoming
from metering.ingest.decode import EventIn
from metering.services.ingestion import usage_events_record
from tests.billing.catalog_factories import metric, plan
from tests.invoicing.factories import utc

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)
TOKENS = {"metric": "llm_tokens", "currency": "USD", "model": "standard", "unit_price": "0.01", "block_size": 1000,
          "free_units": 1_000_000}
CALLS = {"metric": "api_calls", "currency": "USD", "model": "graduated",
         "tiers": [{"up_to": 1000, "unit_price": "0.01", "flat_fee": 0}, {"up_to": None, "unit_price": "0.005",
                                                                         "flat_fee": 0}]}


@pytest.fixture
def catalog(operator):
    metric("llm_tokens", aggregation="sum")
    metric("api_calls")
    return plan(code="standard", flat=9900, seat=500, included_seats=25, charges=[TOKENS, CALLS])


def usage(account, metric_code, value, at, key):
    value = None if metric_code == "api_calls" else D(value)  # a count metric counts events, refuses a value
    with clock.frozen(at + timedelta(minutes=1)):
        result = usage_events_record(events=[EventIn(metric=metric_code, idempotency_key=key, timestamp=at,
                                                     value=value, account_id=account.pk)])
    assert result.accepted == 1


@pytest.fixture
def subscribed(catalog, make_account):
    account = make_account("Tokens Inc")
    with clock.frozen(JAN):
        sub = subscription_create(account=account, plan=catalog, quantity=30)
    return account, sub


def lines_of(invoice):
    return {(line.kind, line.metric_code): line for line in invoice.lines.all()}


def test_a_renewal_bills_usage_in_arrears_and_fees_in_advance(subscribed):
    account, sub = subscribed
    usage(account, "llm_tokens", 1_250_000, JAN + timedelta(days=3), "t1")
    for i in range(3):
        usage(account, "api_calls", 500, JAN + timedelta(days=10 + i), f"c{i}")  # count metric: 3 events
    with clock.frozen(FEB + timedelta(minutes=5)):
        run = bill_run_start()
    assert (run.subscriptions_due, run.invoices_created, run.errors, run.status) == (1, 1, 0, "done")
    invoice = Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle")
    lines = lines_of(invoice)
    flat, seats = lines[("flat", "")], lines[("seats", "")]
    assert (flat.amount, flat.period_start, flat.period_end) == (9900, FEB, MAR)
    assert (seats.quantity, seats.amount) == (5, 2500)
    tokens = lines[("usage", "llm_tokens")]
    assert (tokens.quantity, tokens.amount, tokens.period_start, tokens.period_end) == (D(1_250_000), 250, JAN, FEB)
    calls = lines[("usage", "api_calls")]
    assert (calls.quantity, calls.amount) == (3, 3)
    assert invoice.subtotal == 9900 + 2500 + 250 + 3
    assert (invoice.status, invoice.finalize_after) == ("draft", FEB + timedelta(minutes=5, hours=1))
    sub.refresh_from_db()
    assert (sub.current_period_start, sub.current_period_end) == (FEB, MAR)
    kinds = sorted(BillingRecord.objects.filter(subscription=sub).values_list("kind", "period_start"))
    assert ("advance", FEB) in kinds and ("arrears", JAN) in kinds


def test_a_second_run_bills_nothing(subscribed):
    account, sub = subscribed
    with clock.frozen(FEB + timedelta(minutes=5)):
        bill_run_start()
        before = Invoice.objects.count()
        again = bill_run_start()
        assert subscription_bill_renewal(subscription_id=sub.pk, at=FEB + timedelta(minutes=5)) is None
    assert again.subscriptions_due == 0
    assert Invoice.objects.count() == before
    assert BillRun.objects.count() == 2


def test_late_usage_in_the_grace_period_and_after_finalization(subscribed):
    account, sub = subscribed
    usage(account, "api_calls", 1, JAN + timedelta(days=1), "early")
    with clock.frozen(FEB + timedelta(minutes=1)):
        bill_run_start()
    usage(account, "api_calls", 1, JAN + timedelta(days=30), "in-grace")  # arrives before finalization
    with clock.frozen(FEB + timedelta(hours=2)):
        assert invoices_finalize_due() == 1
    first = Invoice.objects.get(subscription=sub, period_start=JAN, billing_reason="subscription_cycle")
    assert lines_of(first)[("usage", "api_calls")].quantity == 2
    usage(account, "api_calls", 1, JAN + timedelta(days=30, hours=1), "after")  # lands after finalization
    with clock.frozen(MAR + timedelta(minutes=1)):
        bill_run_start()
    second = Invoice.objects.get(subscription=sub, period_start=FEB, billing_reason="subscription_cycle")
    late = lines_of(second)[("late_usage", "api_calls")]
    assert (late.quantity, late.amount, late.period_start, late.period_end) == (1, 1, JAN, FEB)
    assert lines_of(second)[("usage", "api_calls")].quantity == 0


def test_prorations_are_billed_once_on_the_next_renewal(subscribed):
    account, sub = subscribed
    with clock.frozen(JAN + timedelta(days=15)):
        bigger = plan(code="bigger", flat=19900, charges=[])
        subscription_change(subscription=sub, plan=bigger, timing="immediate")
    pending = list(ProrationItem.objects.filter(subscription=sub))
    assert pending
    with clock.frozen(FEB + timedelta(minutes=1)):
        bill_run_start()
    invoice = Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle")
    prorations = [line for line in invoice.lines.all() if line.kind == "proration"]
    assert sorted(p.amount for p in prorations) == sorted(i.amount for i in pending)
    assert not ProrationItem.objects.filter(subscription=sub, invoiced_at__isnull=True).exists()


def test_canceled_at_period_end_bills_the_last_usage_without_a_new_period(subscribed):
    account, sub = subscribed
    with clock.frozen(JAN + timedelta(days=20)):
        subscription_cancel(subscription=sub, at_period_end=True)
    usage(account, "api_calls", 1, JAN + timedelta(days=25), "last")
    with clock.frozen(FEB + timedelta(minutes=1)):
        bill_run_start()
    invoice = Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle")
    assert {line.kind for line in invoice.lines.all()} == {"usage"}
    assert Subscription.objects.get(pk=sub.pk).status == "canceled"


def test_a_new_subscription_gets_its_first_invoice_finalized_with_coupon(catalog, make_account):
    from billing.outbox import outbox_deliver_batch

    account = make_account("Newco")
    coupon_create(code="HALF", name="Half off", percent_off=50, duration="once")
    with clock.frozen(JAN):
        sub = subscription_create(account=account, plan=catalog, coupon_code="HALF")
        while outbox_deliver_batch():
            pass
    first = Invoice.objects.get(subscription=sub)
    assert (first.status, first.subtotal, first.discount_total, first.total) == ("open", 9900, 4950, 4950)
    with clock.frozen(FEB + timedelta(minutes=1)):
        bill_run_start()
    renewal = Invoice.objects.exclude(pk=first.pk).get(subscription=sub)
    assert renewal.discount_total == 0  # a "once" coupon


def test_the_upcoming_invoice_is_computed_and_not_written(subscribed):
    account, sub = subscribed
    usage(account, "llm_tokens", 2_000_000, JAN + timedelta(days=2), "u1")
    invoices = Invoice.objects.count()
    with clock.frozen(JAN + timedelta(days=10)):
        upcoming = invoice_upcoming(subscription=sub)
    lines = {(line.kind, line.metric_code): line for line in upcoming.lines}
    assert lines[("usage", "llm_tokens")].amount == 1000  # 1M over at $0.01/1K
    assert lines[("flat", "")].period_start == FEB
    assert upcoming.invoice.total == 9900 + 2500 + 1000 + 0
    assert upcoming.invoice.pk is None and Invoice.objects.count() == invoices


def deliver():
    from billing.outbox import outbox_deliver_batch

    while outbox_deliver_batch():
        pass


def test_an_immediate_cancellation_bills_usage_up_to_its_end_once(subscribed):
    account, sub = subscribed
    deliver()  # the opening invoice
    usage(account, "api_calls", 1, JAN + timedelta(days=5), "before-cancel")
    with clock.frozen(JAN + timedelta(days=10)):
        subscription_cancel(subscription=sub, at_period_end=False)
        deliver()
        deliver()
    final = Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle", period_start=JAN)
    calls = lines_of(final)[("usage", "api_calls")]
    assert (calls.quantity, calls.period_end) == (1, JAN + timedelta(days=10))
    assert Invoice.objects.filter(subscription=sub, billing_reason="subscription_cycle").count() == 1


def test_always_invoice_changes_are_billed_at_once(subscribed):
    account, sub = subscribed
    deliver()
    with clock.frozen(JAN + timedelta(days=15)):
        bigger = plan(code="bigger-now", flat=19900, charges=[], proration_behavior="always_invoice")
        subscription_change(subscription=sub, plan=bigger, timing="immediate", proration_behavior="always_invoice")
        deliver()
        deliver()
    now = Invoice.objects.get(subscription=sub, billing_reason="subscription_update")
    assert now.status == "open" and {line.kind for line in now.lines.all()} == {"proration"}
    assert not ProrationItem.objects.filter(subscription=sub, invoiced_at__isnull=True).exists()


def test_a_trial_that_ends_canceled_gets_no_invoice(catalog, make_account):
    account = make_account("Trialist")
    with clock.frozen(JAN):
        sub = subscription_create(account=account, plan=catalog, trial_days=14)
    Subscription.objects.filter(pk=sub.pk).update(trial_end_behavior="cancel")
    with clock.frozen(JAN + timedelta(days=14, minutes=1)):
        run = bill_run_start()
    assert (run.subscriptions_due, run.invoices_created, run.skipped) == (1, 0, 1)
    assert Subscription.objects.get(pk=sub.pk).status == "canceled"
    assert not Invoice.objects.filter(subscription=sub).exists()


def test_a_trial_that_ends_active_is_billed_for_its_first_paid_period_once(catalog, make_account):
    from billing.outbox import outbox_deliver_batch

    account = make_account("Converted")
    with clock.frozen(JAN):
        sub = subscription_create(account=account, plan=catalog, trial_days=14)
    Subscription.objects.filter(pk=sub.pk).update(trial_end_behavior="activate")
    with clock.frozen(JAN + timedelta(days=14, minutes=1)):
        bill_run_start()
        while outbox_deliver_batch():
            pass
    invoice = Invoice.objects.get(subscription=sub)
    flat = invoice.lines.get(kind="flat")
    assert (flat.amount, flat.period_start) == (9900, JAN + timedelta(days=14))


@pytest.mark.parametrize("path", ["chunk", "single"])
def test_late_usage_of_an_older_period_is_billed_once_while_events_may_still_arrive(subscribed, path):
    """A January event may arrive in March (inside the 35-day acceptance window), after the
    renewal that looked back at January: the April renewal still finds and bills it, once."""
    account, sub = subscribed
    APR = utc(2026, 4, 1)
    for when in (FEB, MAR):
        with clock.frozen(when + timedelta(minutes=1)):
            bill_run_start()
    with clock.frozen(MAR + timedelta(days=2)):  # 32 days after the event's time
        result = usage_events_record(events=[EventIn(metric="api_calls", idempotency_key="very-late",
                                                     timestamp=JAN + timedelta(days=29), account_id=account.pk)])
    assert result.accepted == 1
    with clock.frozen(APR + timedelta(minutes=1)):
        if path == "chunk":
            bill_run_start()
        else:
            subscription_bill_renewal(subscription_id=sub.pk, at=APR + timedelta(minutes=1))
    april = Invoice.objects.get(subscription=sub, period_start=MAR, billing_reason="subscription_cycle")
    late = [line for line in april.lines.all() if line.kind == "late_usage"]
    assert [(line.metric_code, line.quantity, line.period_start, line.period_end) for line in late] == [
        ("api_calls", 1, JAN, FEB)]
    with clock.frozen(utc(2026, 5, 1) + timedelta(minutes=1)):
        bill_run_start()
    may = Invoice.objects.get(subscription=sub, period_start=APR, billing_reason="subscription_cycle")
    assert not [line for line in may.lines.all() if line.kind == "late_usage"]
