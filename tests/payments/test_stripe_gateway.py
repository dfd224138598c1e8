"""The Stripe gateway against localstripe over HTTP, through the real SDK."""

from datetime import timedelta

import pytest
import stripe
from django.utils import timezone

from payments.gateways import ChargeRequest, GatewayError, PaymentStatus, RefundRequest

from .conftest import confirm_setup


@pytest.fixture
def customer_with_card(stripe_gateway, stripe_client):
    def make(number="4242424242424242", reference=None):
        customer = stripe_gateway.customer_create(reference=reference or f"account:t{timezone.now().timestamp()}",
                                                  name="Acme")
        setup = stripe_gateway.setup_start(reference=f"setup:{customer.id}", customer_id=customer.id,
                                           method_types=["card"])
        confirmed = confirm_setup(stripe_client, setup.id, number=number)
        method = stripe_gateway.method_attach(method_id=confirmed.payment_method, customer_id=customer.id)
        return customer, method

    return make


def test_the_sdk_version_in_use_talks_to_localstripe(stripe_gateway):
    customer = stripe_gateway.customer_create(reference="account:sdk-check", name="Acme", email="a@example.com")
    assert customer.id.startswith("cus_")
    assert stripe_gateway.customer_retrieve(customer.id).deleted is False


def test_setup_keeps_only_card_metadata(customer_with_card):
    customer, method = customer_with_card()
    assert method.customer_id == customer.id
    assert (method.type, method.brand, method.last4, method.exp_month, method.exp_year) == \
        ("card", "visa", "4242", 12, 2034)
    assert method.fingerprint
    assert "4242424242424242" not in repr(method)


def test_a_charge_succeeds_and_is_found_again_by_its_reference(stripe_gateway, customer_with_card):
    customer, method = customer_with_card()
    since = timezone.now() - timedelta(seconds=5)
    result = stripe_gateway.charge(ChargeRequest(reference="invoice:1:attempt:1", customer_id=customer.id,
                                                 payment_method_id=method.id, amount=1999, currency="EUR"))
    assert result.status == PaymentStatus.SUCCEEDED
    assert (result.amount, result.currency, result.reference) == (1999, "EUR", "invoice:1:attempt:1")
    assert result.payment_id.startswith("pi_") and result.charge_id.startswith("ch_")
    found = stripe_gateway.payment_find(customer_id=customer.id, reference="invoice:1:attempt:1", since=since)
    assert found.payment_id == result.payment_id
    assert stripe_gateway.payment_find(customer_id=customer.id, reference="invoice:1:attempt:2", since=since) is None


def test_a_declined_charge_is_a_failed_result_not_an_exception(stripe_gateway, customer_with_card):
    customer, method = customer_with_card("4000000000000341")  # attaches, then declines on charge
    result = stripe_gateway.charge(ChargeRequest(reference="invoice:2:attempt:1", customer_id=customer.id,
                                                 payment_method_id=method.id, amount=500, currency="USD"))
    assert result.status == PaymentStatus.FAILED
    assert result.failure_code == "card_declined"
    assert result.failure_message


def test_a_card_needing_3d_secure_requires_action_with_a_client_secret(stripe_gateway, stripe_client):
    customer = stripe_gateway.customer_create(reference="account:3ds", name="Acme")
    method = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000000000003220", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_gateway.method_attach(method_id=method.id, customer_id=customer.id)
    result = stripe_gateway.charge(ChargeRequest(reference="invoice:3:attempt:1", customer_id=customer.id,
                                                 payment_method_id=method.id, amount=700, currency="USD"))
    assert result.status == PaymentStatus.REQUIRES_ACTION
    assert result.client_secret.startswith(result.payment_id)
    assert stripe_gateway.payment_cancel(result.payment_id).status == PaymentStatus.CANCELED


def test_refunds_and_the_reconciliation_listings_cover_a_window(stripe_gateway, customer_with_card):
    customer, method = customer_with_card()
    start = timezone.now() - timedelta(seconds=2)
    paid = stripe_gateway.charge(ChargeRequest(reference="invoice:4:attempt:1", customer_id=customer.id,
                                               payment_method_id=method.id, amount=1000, currency="USD"))
    refund = stripe_gateway.refund(RefundRequest(reference="refund:1", payment_id=paid.payment_id, amount=300))
    assert (refund.status, refund.amount, refund.charge_id) == ("succeeded", 300, paid.charge_id)
    end = timezone.now() + timedelta(seconds=2)
    charges = {c.id: c for c in stripe_gateway.charges_list(start=start, end=end)}
    assert charges[paid.charge_id].amount == 1000
    assert charges[paid.charge_id].amount_refunded == 300
    assert refund.id in {r.id for r in stripe_gateway.refunds_list(start=start, end=end)}
    later = end + timedelta(hours=1)
    assert paid.charge_id not in {c.id for c in stripe_gateway.charges_list(start=end, end=later)}
    assert refund.id not in {r.id for r in stripe_gateway.refunds_list(start=end, end=later)}
    assert stripe_gateway.payment_retrieve(paid.payment_id).amount_refunded == 300


def test_refunding_more_than_was_charged_is_refused(stripe_gateway, customer_with_card):
    customer, method = customer_with_card("4000000000000341")
    failed = stripe_gateway.charge(ChargeRequest(reference="invoice:5:attempt:1", customer_id=customer.id,
                                                 payment_method_id=method.id, amount=100, currency="USD"))
    with pytest.raises(GatewayError):
        stripe_gateway.refund(RefundRequest(reference="refund:2", payment_id=failed.payment_id or "pi_missing",
                                            amount=100))


def test_an_unreachable_stripe_is_reported_as_unavailable(settings, stripe_gateway):
    from payments.gateways import GatewayUnavailable, gateway

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(GatewayUnavailable):
        gateway().customer_create(reference="account:down", name="Acme")


class RecordingClient(stripe.RequestsClient):
    """The real HTTP client, noting each request's method, path and headers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def request(self, method, url, headers, post_data=None):
        self.calls.append((method.upper(), url.split("?")[0], dict(headers or {})))
        return super().request(method, url, headers, post_data)


def test_every_write_carries_our_idempotency_key_and_a_timeout(localstripe_url, stripe_client):
    from payments.gateways.stripe_gateway import StripeGateway

    recorder = RecordingClient(timeout=7)
    gw = StripeGateway(secret_key="sk_test_localstripe", api_base=localstripe_url, timeout_seconds=7,
                       max_network_retries=2, http_client=recorder)
    customer = gw.customer_create(reference="account:77:customer:1", name="Acme")
    setup = gw.setup_start(reference="account:77:setup:abc", customer_id=customer.id, method_types=["card"])
    confirmed = confirm_setup(stripe_client, setup.id)
    gw.method_attach(method_id=confirmed.payment_method, customer_id=customer.id)
    paid = gw.charge(ChargeRequest(reference="invoice:77:attempt:1", customer_id=customer.id,
                                   payment_method_id=confirmed.payment_method, amount=100, currency="USD"))
    gw.refund(RefundRequest(reference="payment:9:refund:1", payment_id=paid.payment_id, amount=50))
    keys = {path: headers.get("Idempotency-Key") for method, path, headers in recorder.calls if method == "POST"}
    assert keys[f"{localstripe_url}/v1/customers"] == "account:77:customer:1"
    assert keys[f"{localstripe_url}/v1/setup_intents"] == "account:77:setup:abc"
    assert keys[f"{localstripe_url}/v1/payment_intents"] == "invoice:77:attempt:1"
    assert keys[f"{localstripe_url}/v1/refunds"] == "payment:9:refund:1"
    assert recorder._timeout == 7
    assert gw.client._requestor._options.max_network_retries == 2
