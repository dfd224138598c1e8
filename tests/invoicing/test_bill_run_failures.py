"""A bill run never leaves a subscription silently unbilled: a subscription whose renewal raises is
recorded as a bill-run failure, reported (event, email to finance, admin list) and retried with
backoff while the rest of the run completes; once the cause is fixed, a retry bills the missed period
and renews the subscription exactly once, and resolves the failure."""

from datetime import timedelta
from decimal import Decimal as D
from decimal import InvalidOperation

import pytest
from django.core import mail
from django.db import DataError

from billing import clock, tenancy
from billing.errors import Conflict
from billing.models import OutboxEvent, Subscription
from billing.outbox import outbox_deliver_batch
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from billing.services import subscription_create
from invoicing.models import BillingRecord, BillRun, BillRunFailure, Invoice, SentEmail
from invoicing.services.bill_run_failures import failure_describe
from invoicing.services.bill_runs import bill_run_start
from metering.ingest.decode import EventIn
from metering.services.ingestion import usage_events_record
from pricing import charges as pricing_charges
from tests.billing.catalog_factories import metric, plan
from tests.helpers import staff
from tests.invoicing.factories import utc

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)
RUN = FEB + timedelta(minutes=5)
HUGE = D(987_654_321)  # the bad account's aggregate: the patched engine cannot price it
FINANCE = "finance@operator.example"


@pytest.fixture
def catalog(operator, settings):
    settings.FINANCE_ALERT_EMAILS = [FINANCE]
    settings.BILL_RUN_CHUNK_SIZE, settings.INVOICE_GRACE_PERIOD_SECONDS = 2, 3600
    settings.BILL_RUN_MAX_ATTEMPTS, settings.BILL_RUN_RETRY_BACKOFF_SECONDS = 6, 600
    metric("llm_tokens", aggregation="sum")
    return plan(code="standard", flat=9900, charges=[
        {"metric": "llm_tokens", "currency": "USD", "model": "standard", "unit_price": "0.01", "block_size": 1000}])


@pytest.fixture
def broken_pricing(monkeypatch):
    """The pricing engine raises on the bad account's aggregate, as it did on hostile usage; undo() is
    the fix of the cause."""
    price = pricing_charges.price

    def fragile(charge, quantity):
        if D(quantity) >= HUGE:
            raise InvalidOperation("the aggregate is out of the engine's range")
        return price(charge, quantity)

    monkeypatch.setattr(pricing_charges, "price", fragile)
    return monkeypatch


@pytest.fixture
def subs(catalog, make_account):
    """good, bad, good: the bad one in the first chunk (of 2) with a good one, another chunk after it."""
    made = []
    for name, tokens in (("Good One", 1_250_000), ("Bad Usage", HUGE), ("Good Two", 2_000_000)):
        account = make_account(name)
        with clock.frozen(JAN):
            made.append(subscription_create(account=account, plan=catalog))
        with clock.frozen(JAN + timedelta(days=3)):
            usage_events_record(events=[EventIn(metric="llm_tokens", idempotency_key=f"t-{account.pk}",
                                                timestamp=JAN + timedelta(days=2), value=D(tokens),
                                                account_id=account.pk)])
    deliver()  # their first invoices (January in advance), as the outbox does
    return made


def run_at(at) -> BillRun:
    with clock.frozen(at):
        return bill_run_start()


def deliver():
    while outbox_deliver_batch():
        pass


def cycle_invoices(sub):
    return list(Invoice.objects.filter(subscription=sub, billing_reason="subscription_cycle"))


def period_of(sub):
    sub = Subscription.objects.get(pk=sub.pk)
    return sub.current_period_start, sub.current_period_end


def failure_events():
    return list(OutboxEvent.objects.filter(type="billing.bill_run.subscription_failed").order_by("id"))


def test_a_failing_subscription_is_recorded_and_reported_and_the_rest_of_the_run_completes(subs, broken_pricing):
    good_one, bad, good_two = subs
    run = run_at(RUN)
    run.refresh_from_db()
    assert (run.chunks, run.chunks_done, run.invoices_created, run.errors, run.status) == (2, 2, 2, 1, "failed")
    for good in (good_one, good_two):
        assert len(cycle_invoices(good)) == 1 and period_of(good) == (FEB, MAR)
    assert cycle_invoices(bad) == [] and period_of(bad) == (JAN, FEB)

    failure = BillRunFailure.objects.get()
    assert (failure.subscription_id, failure.account_id, failure.period_start, failure.period_end) == (
        bad.pk, bad.account_id, JAN, FEB)
    assert (failure.error_class, failure.error_message) == (
        "decimal.InvalidOperation", "the aggregate is out of the engine's range")
    assert (failure.attempts, failure.first_seen_at, failure.last_seen_at, failure.bill_run_id) == (1, RUN, RUN, run.pk)
    assert failure.next_attempt_at == RUN + timedelta(minutes=10) and failure.resolved_at is None
    assert run.error_details[0]["failure_id"] == failure.pk

    event, = failure_events()
    assert event.account_id == bad.account_id
    assert event.payload == {
        "failure_id": failure.pk, "subscription_id": bad.pk, "account_id": bad.account_id, "bill_run_id": run.pk,
        "period_start": "2026-01-01T00:00:00Z", "period_end": "2026-02-01T00:00:00Z",
        "error_class": "decimal.InvalidOperation", "error_message": "the aggregate is out of the engine's range",
        "attempt": 1, "max_attempts": 6, "next_attempt_at": "2026-02-01T00:15:00Z", "gave_up": False,
        "manual": False}

    deliver()
    message, = [m for m in mail.outbox if FINANCE in m.to]
    assert message.to == [FINANCE]
    assert f"subscription {bad.pk} (Bad Usage) could not be billed" in message.subject
    assert "decimal.InvalidOperation: the aggregate is out of the engine's range" in message.body
    assert "January 1, 2026 – January 31, 2026" in message.body
    assert f"/admin/invoicing/billrunfailure/{failure.pk}/change/" in message.body
    assert SentEmail.objects.filter(type="finance_bill_run_subscription_failed", event_id=event.pk).count() == 1
    from invoicing.handlers import email_finance_bill_run_failure

    email_finance_bill_run_failure(event)  # delivered twice: sent once
    assert len([m for m in mail.outbox if FINANCE in m.to]) == 1


def test_finance_sees_the_failures_in_the_admin(subs, broken_pricing):
    run = run_at(RUN)
    failure = BillRunFailure.objects.get()
    client = staff("viewer", FINANCE_VIEWER)
    page = client.get("/admin/invoicing/billrunfailure/")
    assert page.status_code == 200
    assert b"decimal.InvalidOperation" in page.content and b"waiting for a retry" in page.content
    assert b"Bad Usage" in page.content
    assert b"retry_now" not in page.content  # a viewer cannot retry
    assert b"0 bill run failures" in client.get("/admin/invoicing/billrunfailure/?state=resolved").content
    assert b"1 bill run failure" in client.get("/admin/invoicing/billrunfailure/?state=retrying").content
    assert client.get(f"/admin/invoicing/billrunfailure/{failure.pk}/change/").status_code == 200
    for query in ("Bad", str(failure.subscription_id), "%00", "x" * 300):  # searched by name or subscription id
        assert client.get("/admin/invoicing/billrunfailure/", {"q": query}).status_code == 200
    assert b"1 bill run failure" in client.get("/admin/invoicing/billrunfailure/",
                                                 {"q": str(failure.subscription_id)}).content
    runs = client.get(f"/admin/invoicing/billrun/{run.pk}/change/")
    assert runs.status_code == 200 and b"decimal.InvalidOperation" in runs.content
    assert b"retry_now" in staff("fin", FINANCE_ADMIN).get("/admin/invoicing/billrunfailure/").content


def test_retries_back_off_and_once_the_cause_is_fixed_the_period_is_billed_and_renewed_once(subs, broken_pricing):
    _, bad, _ = subs
    run_at(RUN)
    waiting = run_at(RUN + timedelta(minutes=5))  # the retry is due at RUN + 10 min
    assert (waiting.deferred, waiting.retries, waiting.subscriptions_due) == (1, 0, 0)
    assert BillRunFailure.objects.get().attempts == 1

    second = run_at(RUN + timedelta(minutes=11))
    assert (second.retries, second.deferred) == (1, 0)
    again = run_at(RUN + timedelta(minutes=11))  # the same beat twice: one attempt, not two
    assert (again.retries, again.deferred) == (0, 1)
    failure = BillRunFailure.objects.get()
    assert failure.attempts == 2 and failure.next_attempt_at == RUN + timedelta(minutes=11 + 20)
    assert [e.payload["attempt"] for e in failure_events()] == [1, 2]
    deliver()
    assert len([m for m in mail.outbox if FINANCE in m.to]) == 1  # the first failure only
    assert cycle_invoices(bad) == [] and period_of(bad) == (JAN, FEB)

    broken_pricing.undo()  # the cause is fixed
    fixed = run_at(RUN + timedelta(minutes=31))
    fixed.refresh_from_db()
    assert (fixed.retries, fixed.invoices_created, fixed.errors, fixed.status) == (1, 1, 0, "done")
    invoice, = cycle_invoices(bad)
    assert (invoice.period_start, invoice.period_end) == (JAN, FEB)
    assert invoice.lines.get(kind="usage").quantity == HUGE
    assert invoice.lines.get(kind="flat").period_start == FEB
    assert period_of(bad) == (FEB, MAR)
    failure.refresh_from_db()
    assert (failure.resolved_at, failure.invoice_id, failure.next_attempt_at) == (
        RUN + timedelta(minutes=31), invoice.pk, None)
    assert failure.resolution == f"billed on invoice {invoice.pk}"

    later = run_at(RUN + timedelta(minutes=41))  # nothing more, nothing twice
    assert (later.subscriptions_due, later.retries, later.deferred) == (0, 0, 0)
    assert len(cycle_invoices(bad)) == 1
    assert sorted(BillingRecord.objects.filter(subscription=bad).values_list("kind", "period_start")) == [
        ("advance", JAN), ("advance", FEB), ("arrears", JAN)]
    assert len(failure_events()) == 2

    march = run_at(MAR + timedelta(minutes=5))  # the next period renews as usual
    assert march.invoices_created == 3 and len(cycle_invoices(bad)) == 2 and period_of(bad) == (MAR, utc(2026, 4, 1))


def test_when_the_retries_run_out_finance_is_told_and_retries_from_the_admin(subs, broken_pricing, settings):
    _, bad, _ = subs
    settings.BILL_RUN_MAX_ATTEMPTS = 2
    run_at(RUN)
    run_at(RUN + timedelta(minutes=10))
    failure = BillRunFailure.objects.get()
    assert (failure.attempts, failure.next_attempt_at, failure.gave_up) == (2, None, True)
    assert [e.payload["gave_up"] for e in failure_events()] == [False, True]
    deliver()
    first, last = [m for m in mail.outbox if FINANCE in m.to]
    assert "automatic retries are over" in last.subject and "Retry now" in last.body

    held = run_at(RUN + timedelta(days=2))  # no automatic retry left: held back, not retried
    assert (held.deferred, held.retries, held.subscriptions_due) == (1, 0, 0)
    assert BillRunFailure.objects.get().attempts == 2

    admin = staff("fin", FINANCE_ADMIN)

    def retry_now():
        with clock.frozen(RUN + timedelta(days=2, minutes=1)):
            return admin.post("/admin/invoicing/billrunfailure/",
                              {"action": "retry_now", "_selected_action": [failure.pk]}, follow=True)

    assert b"Failed again" in retry_now().content  # the cause is not fixed yet
    with tenancy.operator_scope():  # a request leaves no scope behind it
        failure.refresh_from_db()
        assert (failure.attempts, failure.next_attempt_at, failure.resolved_at) == (3, None, None)
        assert failure_events()[-1].payload["manual"] is True
    broken_pricing.undo()
    assert b"Billed" in retry_now().content
    assert b"Nothing to retry" in retry_now().content  # a second click bills nothing more
    with tenancy.operator_scope():
        failure.refresh_from_db()
        invoice, = cycle_invoices(bad)
        assert (failure.invoice_id, failure.resolved_at) == (invoice.pk, RUN + timedelta(days=2, minutes=1))
        assert period_of(bad) == (FEB, MAR)
        from billing.models import AuditEntry

        assert AuditEntry.objects.filter(action="bill_run_failure.resolved", actor_type="user").count() == 1


def test_a_retry_killed_halfway_bills_nothing_and_the_next_one_bills_once(subs, broken_pricing):
    _, bad, _ = subs
    run_at(RUN)
    broken_pricing.undo()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the worker dies after the invoice was written, before the failure resolved

    broken_pricing.setattr("invoicing.services.bill_run_failures._resolve", killed)
    with pytest.raises(KeyboardInterrupt):
        run_at(RUN + timedelta(minutes=10))
    assert cycle_invoices(bad) == [] and period_of(bad) == (JAN, FEB)
    assert BillRunFailure.objects.get().resolved_at is None
    broken_pricing.undo()
    run_at(RUN + timedelta(minutes=20))
    assert len(cycle_invoices(bad)) == 1 and period_of(bad) == (FEB, MAR)
    assert BillRunFailure.objects.get().resolved_at == RUN + timedelta(minutes=20)


def test_a_failure_whose_period_was_billed_elsewhere_is_resolved_without_a_second_bill(subs, broken_pricing):
    _, bad, _ = subs
    run_at(RUN)
    broken_pricing.undo()
    from invoicing.services.subscriptions import subscription_bill_renewal

    with clock.frozen(RUN + timedelta(minutes=1)):
        billed = subscription_bill_renewal(subscription_id=bad.pk)  # e.g. finance billed it by hand
    retried = run_at(RUN + timedelta(minutes=2))  # the period moved on: the failure is retried at once
    assert retried.retries == 1 and retried.invoices_created == 0
    failure = BillRunFailure.objects.get()
    assert (failure.invoice_id, failure.resolution) == (billed.pk, f"billed earlier, on invoice {billed.pk}")
    assert len(cycle_invoices(bad)) == 1


def test_the_message_kept_and_sent_is_safe():
    assert failure_describe(Conflict("Renewals of one account in two currencies.")) == (
        "billing.errors.Conflict", "Renewals of one account in two currencies.")
    assert failure_describe(DataError("numeric field overflow\nDETAIL: A field with precision 20 ...")) == (
        "django.db.utils.DataError", "numeric field overflow")
    assert failure_describe(RuntimeError("secret=hunter2")) == (
        "RuntimeError", "unexpected error: the worker log has the details")
    assert failure_describe(ValueError("x" * 1000))[1] == "x" * 300
