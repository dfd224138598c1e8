"""Finance in the admin: registers an endpoint (its secret shown once), rotates it, reads each delivery's
attempts, and replays one delivery or every failed one since a time; a viewer only reads."""

import re

import pytest

from billing import tenancy
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from tests.helpers import staff
from tests.webhooks.conftest import record_event
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_deliver_due

pytestmark = pytest.mark.django_db
ADD = "/admin/webhooks/webhookendpoint/add/"
SECRET = re.compile(rb"whsec_[A-Za-z0-9+/=]+")


def test_finance_registers_an_endpoint_and_sees_its_secret_once(receiver):
    client = staff("fin", FINANCE_ADMIN)
    added = client.post(ADD, {"url": receiver.url, "description": "Order system", "event_types": ["*"],
                              "enabled": "on"}, follow=True)
    assert added.status_code == 200
    [shown] = SECRET.findall(added.content)
    with tenancy.operator_scope():
        endpoint = WebhookEndpoint.objects.get()
    assert shown.decode() == endpoint.secret and endpoint.event_types == ["*"]
    page = client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and endpoint.secret.encode() not in page.content


def test_a_private_address_is_refused_on_the_form(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    client = staff("fin", FINANCE_ADMIN)
    page = client.post(ADD, {"url": "http://169.254.169.254/latest", "event_types": ["*"], "enabled": "on"})
    assert page.status_code == 200 and b"link-local" in page.content
    with tenancy.operator_scope():
        assert not WebhookEndpoint.objects.exists()


def test_rotation_shows_the_new_secret(endpoint):
    endpoint, old = endpoint
    page = staff("fin", FINANCE_ADMIN).post("/admin/webhooks/webhookendpoint/", {
        "action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True)
    [shown] = SECRET.findall(page.content)
    with tenancy.operator_scope():
        endpoint.refresh_from_db()
    assert shown.decode() == endpoint.secret != old and endpoint.previous_secret == old


def test_finance_reads_the_attempts_and_replays(receiver, endpoint):
    endpoint, _ = endpoint
    event = record_event()
    receiver.answer(500, b"upstream exploded")
    with tenancy.operator_scope():
        deliveries_deliver_due()
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client = staff("fin", FINANCE_ADMIN)
    page = client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert b"upstream exploded" in page.content and b"500" in page.content

    replayed = client.post("/admin/webhooks/webhookendpoint/", {
        "action": "replay_failed", "_selected_action": [endpoint.pk], "since_0": "2000-01-01", "since_1": "00:00",
        "reason": "Endpoint back up", "_confirm": "1"}, follow=True)
    assert replayed.status_code == 200
    with tenancy.operator_scope():
        assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
        deliveries_deliver_due()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"evt_{event.pk}"] * 2

    client.post("/admin/webhooks/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]})
    with tenancy.operator_scope():
        assert WebhookDelivery.objects.get().replayed_at is not None
        assert deliveries_deliver_due() == 1


def test_a_viewer_reads_but_changes_nothing(endpoint):
    endpoint, _ = endpoint
    client = staff("viewer", FINANCE_VIEWER)
    assert client.get("/admin/webhooks/webhookendpoint/").status_code == 200
    assert client.get(ADD).status_code == 403
    client.post("/admin/webhooks/webhookendpoint/", {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    with tenancy.operator_scope():
        assert WebhookEndpoint.objects.get().previous_secret == ""
