"""Endpoints that resolve to loopback, private or link-local addresses are refused at registration and again at
delivery (after DNS resolution), unless WEBHOOK_ALLOWED_NETWORKS allows them."""

import ipaddress
import socket

import pytest

from billing.errors import ValidationFailed
from tests.webhooks.conftest import record_event
from webhooks.addresses import AddressRefused, refusal, resolve
from webhooks.models import WebhookDelivery
from webhooks.services import deliveries_deliver_due, endpoint_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8000/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://172.16.5.4/hook", "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/hook", "http://0.0.0.0/hook", "http://100.64.0.1/hook", "http://[::ffff:127.0.0.1]/hook",
    "http://[fd00::1]/hook",
])
def test_registration_refuses_addresses_that_are_not_public(url, operator, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationFailed) as refused:
        endpoint_create(url=url, event_types=["*"])
    assert "url" in refused.value.fields


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http:///nohost", "https://user:pw@hooks.example/x",
                                 "https://no-such-host.invalid/hook", "http://[::1/hook", "http://127.0.0.1:99999/",
                                 "http://" + "a" * 70 + ".example/", "not a url"])
def test_registration_refuses_what_is_no_usable_url(url, operator):
    with pytest.raises(ValidationFailed) as refused:
        endpoint_create(url=url, event_types=["*"])
    assert "url" in refused.value.fields


def test_public_addresses_pass_and_allowed_networks_open_a_private_one(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert refusal(ipaddress.ip_address("10.20.1.2")) == "private or reserved"
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert refusal(ipaddress.ip_address("10.20.1.2")) is None
    assert refusal(ipaddress.ip_address("10.21.1.2")) == "private or reserved"


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(AddressRefused, match="10.0.0.5"):
        resolve("https://hooks.example.com/billing")


def test_a_delivery_is_refused_when_the_name_now_resolves_to_a_private_address(receiver, endpoint, operator,
                                                                                settings, monkeypatch):
    """DNS rebinding: the host checked out at registration, then resolves to our own network."""
    endpoint, _ = endpoint
    record_event()
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # the receiver's loopback address is no longer allowed
    assert deliveries_deliver_due() == 1
    assert receiver.requests == []
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempt_log.get()
    assert attempt.status_code is None and "loopback" in attempt.error and attempt.result == "failed"
