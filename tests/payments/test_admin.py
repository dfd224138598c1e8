"""The payments admin: webhook events with their result and traceback, reprocessing, the sandbox banner."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from billing import tenancy
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from payments.models import WebhookEvent, WebhookStatus

pytestmark = pytest.mark.django_db


def staff(username, group):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


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
