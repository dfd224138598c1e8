"""Reconciliation against localstripe: each kind of discrepancy, the 0.5% tolerance, the alert, the API's
Idempotency-Key, and finance's resolve / repair."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import tenancy
from payments.models import Discrepancy, Payment, ReconciliationRun, Refund
from payments.services.charging import payment_collect
from payments.services.reconciliation import (
    amounts_differ,
    discrepancy_repair,
    discrepancy_resolve,
    reconciliation_daily,
    reconciliation_run_start,
)
from payments.services.refunds import refund_create

from .conftest import outbox_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(make_account, customer_card, open_invoice):
    def make(name, amount="100.00"):
        account = make_account(name)
        customer_card(account)
        invoice = open_invoice(account, amount)
        with tenancy.operator_scope():
            return payment_collect(invoice_id=invoice.pk)

    return make


def window():
    now = timezone.now()
    return now - timedelta(minutes=30), now + timedelta(minutes=1)


def run_now(**kwargs):
    start, end = window()
    with tenancy.operator_scope():
        return reconciliation_run_start(window_start=start, window_end=end, **kwargs)


def kinds(run):
    with tenancy.operator_scope():
        return sorted((d.kind, d.object_type) for d in Discrepancy.objects.filter(run=run))


def test_the_tolerance_is_half_a_percent():
    assert not amounts_differ(10_050, 10_000)  # 0.5%
    assert amounts_differ(10_051, 10_000)
    assert not amounts_differ(0, 0)


def test_a_clean_window_has_no_discrepancy(flush_stripe, collected):
    payment = collected("Clean")
    with tenancy.operator_scope():
        refund_create(payment=payment, amount=500)
    run = run_now()
    assert (run.status, run.charges_seen, run.refunds_seen, run.discrepancy_count) == ("completed", 1, 1, 0)
    assert not run.alerted


def test_a_run_finds_each_kind_of_discrepancy(flush_stripe, collected, stripe_client, settings, mailoutbox,
                                              make_account, open_invoice):
    from billing.outbox import outbox_deliver_batch

    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    ok = collected("Fine", "100.00")
    within = collected("Rounding", "200.00")
    mismatch = collected("Amount", "300.00")
    status = collected("Status", "400.00")
    ghost_invoice = open_invoice(make_account("Ghost"), "600.00")
    with tenancy.operator_scope():
        # Our side drifted from Stripe's in every way reconciliation must notice.
        Payment.objects.filter(pk=within.pk).update(amount=20_090)  # 0.45%: within tolerance
        Payment.objects.filter(pk=mismatch.pk).update(amount=30_200)  # 0.67%
        Payment.objects.filter(pk=status.pk).update(status="failed")
        # A payment we believe succeeded that Stripe never saw.
        ghost = Payment.objects.create(account_id=ghost_invoice.account_id, invoice=ghost_invoice, amount=60_000,
                                       currency="USD", gateway="stripe", reference="ghost:1", attempt=1,
                                       status="succeeded", gateway_payment_id="pi_never_existed",
                                       gateway_charge_id="ch_never_existed", created_at=timezone.now())
        refund = refund_create(payment=ok, amount=1_000)
        Refund.objects.filter(pk=refund.pk).update(amount=900)  # refund amount off by 10%
        card_id = ok.payment_method.gateway_id
    # Money moved at Stripe that we never recorded: a charge and a refund made in the dashboard.
    stray = stripe_client.v1.payment_intents.create(params={
        "amount": 7_000, "currency": "usd", "customer": ok.gateway_customer_id,
        "payment_method": card_id, "confirm": True, "off_session": True})
    dashboard_refund = stripe_client.v1.refunds.create(params={"payment_intent": status.gateway_payment_id,
                                                               "amount": 2_000})
    run = run_now()
    assert kinds(run) == sorted([
        ("amount_mismatch", "charge"), ("status_mismatch", "charge"), ("missing_gateway", "charge"),
        ("missing_local", "charge"), ("amount_mismatch", "refund"), ("missing_local", "refund")])
    with tenancy.operator_scope():
        by_kind = {(d.kind, d.object_type): d for d in Discrepancy.objects.filter(run=run)}
    assert by_kind[("missing_local", "charge")].gateway_amount == 7_000
    assert by_kind[("missing_local", "charge")].account_id == ok.account_id
    assert by_kind[("missing_local", "refund")].gateway_id == dashboard_refund.id
    assert by_kind[("missing_gateway", "charge")].payment_id == ghost.pk
    assert (by_kind[("amount_mismatch", "charge")].local_amount,
            by_kind[("amount_mismatch", "charge")].gateway_amount) == (30_200, 30_000)
    # 2.00 + 400.00 (status) + 600.00 (ghost) + 70.00 + 1.00 + 20.00: over the 1,000.00 threshold
    assert run.total_discrepancy == 200 + 40_000 + 60_000 + 7_000 + 100 + 2_000
    assert run.alerted
    alert, = outbox_events("billing.reconciliation.alert")
    assert alert.payload["run_id"] == run.pk
    with tenancy.operator_scope():
        outbox_deliver_batch()
    assert any(m.to == ["finance@example.com"] and "Reconciliation" in m.subject for m in mailoutbox)
    assert stray.status == "succeeded"


def test_small_discrepancies_do_not_alert(flush_stripe, collected):
    payment = collected("Small", "10.00")
    with tenancy.operator_scope():
        Payment.objects.filter(pk=payment.pk).update(amount=1_100)
    run = run_now()
    assert run.discrepancy_count == 1 and run.total_discrepancy == 100
    assert not run.alerted and outbox_events("billing.reconciliation.alert") == []


def test_finance_repairs_a_status_and_resolves_the_rest_with_a_note(flush_stripe, collected):
    from billing.errors import InvalidTransition, ValidationFailed

    status = collected("Status", "40.00")
    mismatch = collected("Amount", "10.00")
    with tenancy.operator_scope():
        Payment.objects.filter(pk=status.pk).update(status="pending")
        Payment.objects.filter(pk=mismatch.pk).update(amount=1_500)
    run = run_now()
    with tenancy.operator_scope():
        status_item = Discrepancy.objects.get(run=run, kind="status_mismatch")
        repaired = discrepancy_repair(discrepancy=status_item)
        assert repaired.resolution == "repaired" and "succeeded" in repaired.note
        assert Payment.objects.get(pk=status.pk).status == "succeeded"
        amount_item = Discrepancy.objects.get(run=run, kind="amount_mismatch")
        with pytest.raises(InvalidTransition):
            discrepancy_repair(discrepancy=amount_item)
        with pytest.raises(ValidationFailed):
            discrepancy_resolve(discrepancy=amount_item, note=" ")
        resolved = discrepancy_resolve(discrepancy=amount_item, note="Corrected by credit note CN-2026-000003")
        assert resolved.resolution == "resolved"
        with pytest.raises(InvalidTransition):
            discrepancy_resolve(discrepancy=resolved, note="again")


def test_a_charge_we_lost_after_a_crash_is_repaired_from_its_reference(flush_stripe, collected, make_account,
                                                                      customer_card, open_invoice, monkeypatch):
    from payments.services import charging

    account = make_account("Crash")
    customer_card(account)
    invoice = open_invoice(account, "60.00")
    monkeypatch.setattr(charging, "payment_apply_result", lambda **kw: (_ for _ in ()).throw(SystemExit("dead")))
    with tenancy.operator_scope(), pytest.raises(SystemExit):
        payment_collect(invoice_id=invoice.pk)
    monkeypatch.undo()
    run = run_now()
    with tenancy.operator_scope():
        item = Discrepancy.objects.get(run=run)
        assert (item.kind, item.gateway_amount) == ("missing_local", 6_000)
        discrepancy_repair(discrepancy=item)
        assert Payment.objects.get(invoice=invoice).status == "succeeded"
        assert invoice.__class__.objects.get(pk=invoice.pk).status == "paid"


def test_the_daily_job_runs_yesterday_once(flush_stripe, stripe_gateway):
    with tenancy.operator_scope():
        first = reconciliation_daily()
        again = reconciliation_daily()
    assert first.pk == again.pk
    assert first.window_end - first.window_start == timedelta(days=1)
    assert first.window_end.hour == 0


def test_the_api_trigger_needs_admin_and_a_long_idempotency_key(flush_stripe, stripe_gateway, api_client,
                                                                 api_key_for, make_account):
    account_key = api_key_for(make_account("Acme"), ("billing:read", "billing:write"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {account_key}")
    assert api_client.post("/api/v1/billing/reconcile", {}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k" * 20).status_code == 403

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ('admin',))}")
    short = api_client.post("/api/v1/billing/reconcile", {}, format="json", HTTP_IDEMPOTENCY_KEY="too-short")
    assert short.status_code == 400 and "Idempotency-Key" in short.json()["error"]["fields"]
    missing = api_client.post("/api/v1/billing/reconcile", {}, format="json")
    assert missing.status_code == 400

    first = api_client.post("/api/v1/billing/reconcile", {}, format="json", HTTP_IDEMPOTENCY_KEY="nightly-2026-11-21")
    assert first.status_code == 201 and first.json()["status"] == "completed"
    again = api_client.post("/api/v1/billing/reconcile", {}, format="json", HTTP_IDEMPOTENCY_KEY="nightly-2026-11-21")
    assert again.json()["id"] == first.json()["id"]
    with tenancy.operator_scope():
        assert ReconciliationRun.objects.count() == 1
    listed = api_client.get("/api/v1/billing/reconciliation-runs").json()["results"]
    assert [run["id"] for run in listed] == [first.json()["id"]]
    detail = api_client.get(f"/api/v1/billing/reconciliation-runs/{first.json()['id']}").json()
    assert detail["discrepancies"] == []


def test_the_same_key_after_24_hours_is_a_new_run(flush_stripe, stripe_gateway):
    first = run_now(idempotency_key="weekly-check-0001")
    with tenancy.operator_scope():
        ReconciliationRun.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert run_now(idempotency_key="weekly-check-0001").pk != first.pk


@pytest.mark.parametrize("currency, minor", [("USD", 100_000), ("EUR", 100_000), ("JPY", 1_000), ("BHD", 1_000_000)])
def test_the_alert_threshold_is_1000_in_each_currencys_own_units(settings, currency, minor):
    from payments.services.reconciliation import alert_threshold_minor

    settings.RECONCILIATION_ALERT_THRESHOLD = "1000.00"
    assert alert_threshold_minor(currency) == minor
