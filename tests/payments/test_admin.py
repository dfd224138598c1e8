"""The payments admin: webhook events with their result and traceback, reprocessing, the sandbox banner."""

import pytest

from billing import tenancy
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from payments.models import WebhookEvent, WebhookStatus
from tests.helpers import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_event():
    with tenancy.operator_scope():
        return WebhookEvent.objects.create(event_id="evt_admin_1", type="customer.updated",
                                           object_id="cus_unknown", payload={"id": "evt_admin_1"},
                                           status=WebhookStatus.FAILED, attempts=1, result="boom",
                                           traceback="Traceback (most recent call last): boom")


def test_finance_sees_events_with_result_and_traceback(stripe_gateway, failed_event):
    client = staff("fin", FINANCE_ADMIN)
    listing = client.get("/admin/payments/webhookevent/")
    assert listing.status_code == 200 and b"evt_admin_1" in listing.content and b"boom" in listing.content
    detail = client.get(f"/admin/payments/webhookevent/{failed_event.pk}/change/")
    assert b"Traceback (most recent call last)" in detail.content


def test_finance_admin_reprocesses_selected_events(stripe_gateway, failed_event):
    client = staff("fin", FINANCE_ADMIN)
    response = client.post("/admin/payments/webhookevent/", {"action": "reprocess",
                                                             "_selected_action": [failed_event.pk]}, follow=True)
    assert response.status_code == 200
    with tenancy.operator_scope():
        event = WebhookEvent.objects.get(pk=failed_event.pk)
        from billing.models import AuditEntry

        assert AuditEntry.objects.filter(action="payments.webhook_event.reprocessed",
                                         object_id=str(event.pk)).exists()
    # cus_unknown is not one of ours: the handler has nothing to do, and says so.
    assert (event.status, event.attempts, event.traceback) == (WebhookStatus.PROCESSED, 2, "")
    assert event.result == "Not one of our customers."


def test_finance_viewer_cannot_reprocess(stripe_gateway, failed_event):
    client = staff("viewer", FINANCE_VIEWER)
    client.post("/admin/payments/webhookevent/", {"action": "reprocess", "_selected_action": [failed_event.pk]})
    with tenancy.operator_scope():
        assert WebhookEvent.objects.get(pk=failed_event.pk).attempts == 1


def test_the_admin_says_when_payments_run_in_the_sandbox(settings):
    settings.PAYMENTS_GATEWAY = "sandbox"
    page = staff("fin", FINANCE_ADMIN).get("/admin/payments/paymentmethod/")
    assert b"no Stripe key is configured" in page.content


def test_finance_refunds_part_of_a_payment_from_the_admin(make_account, customer_card, open_invoice):
    from payments.models import Payment
    from payments.services.charging import payment_collect

    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "20.00")
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
    client = staff("fin", FINANCE_ADMIN)
    form = client.post("/admin/payments/payment/", {"action": "refund", "_selected_action": [payment.pk]})
    assert form.status_code == 200 and b"amount" in form.content
    client.post("/admin/payments/payment/", {"action": "refund", "_selected_action": [payment.pk], "_confirm": "1",
                                             "amount": "5.00", "reason": "Late delivery"})
    with tenancy.operator_scope():
        payment = Payment.objects.get(pk=payment.pk)
        assert (payment.status, payment.amount_refunded) == ("partially_refunded", 500)
        assert payment.refunds.get().reason == "Late delivery"
    viewer = staff("viewer", FINANCE_VIEWER)
    viewer.post("/admin/payments/payment/", {"action": "refund", "_selected_action": [payment.pk], "_confirm": "1",
                                             "amount": "5.00"})
    with tenancy.operator_scope():
        assert Payment.objects.get(pk=payment.pk).amount_refunded == 500


def test_finance_pauses_dunning_for_an_account_from_the_admin(make_account, customer_card, open_invoice):
    from payments.models import AccountDunning, DunningCase
    from payments.services.charging import payment_collect

    account = make_account("Acme")
    customer_card(account, "4000000000000341")
    invoice = open_invoice(account)
    with tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        case = DunningCase.objects.get(invoice=invoice)
    client = staff("fin", FINANCE_ADMIN)
    listing = client.get("/admin/payments/dunningcase/")
    assert listing.status_code == 200 and b"Acme" in listing.content
    client.post("/admin/payments/dunningcase/", {"action": "pause", "_selected_action": [case.pk], "_confirm": "1",
                                                 "reason": "Paying by transfer"})
    with tenancy.operator_scope():
        setting = AccountDunning.objects.get(account=account)
    assert setting.paused and setting.note == "Paying by transfer"


def test_finance_resolves_a_discrepancy_with_a_note(stripe_gateway, make_account):
    from django.utils import timezone

    from payments.models import Discrepancy, ReconciliationRun

    with tenancy.operator_scope():
        run = ReconciliationRun.objects.create(gateway="stripe", window_start=timezone.now(),
                                               window_end=timezone.now(), currency="USD", created_at=timezone.now())
        item = Discrepancy.objects.create(run=run, kind="amount_mismatch", object_type="charge", currency="USD",
                                          local_amount=100, gateway_amount=120, gateway_id="ch_x")
    client = staff("fin", FINANCE_ADMIN)
    assert b"ch_x" in client.get(f"/admin/payments/reconciliationrun/{run.pk}/change/").content
    client.post("/admin/payments/discrepancy/", {"action": "resolve", "_selected_action": [item.pk], "apply": "1",
                                                 "note": "Stripe fee adjustment, booked by hand"})
    with tenancy.operator_scope():
        item = Discrepancy.objects.get(pk=item.pk)
    assert (item.resolution, item.note, item.resolved_by) == ("resolved", "Stripe fee adjustment, booked by hand",
                                                              "fin")
