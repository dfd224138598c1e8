"""The Stripe stand-in: localstripe, started by the suite on a free port, over real HTTP.

localstripe (PyPI, a dev dependency) is a stateful fake Stripe server. It covers
customers, SetupIntents, PaymentMethods (attach/detach), PaymentIntents with
off-session confirmation, test cards (decline, 3-D Secure), refunds, charges and
the events API. It does not implement disputes, idempotency keys, or
setup_intent/payment_method/charge.* events: those payloads are built from the
shapes in Stripe's fixtures3.json and signed here (see `signed_post`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import stripe

SECRET_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_secret"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stripe_shapes.json"
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    request = urllib.request.Request(f"{url}/v1/customers?limit=1", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310 (our own local URL)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def localstripe_url():
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="localstripe-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"localstripe exited ({process.returncode}); see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"localstripe did not answer within {STARTUP_SECONDS}s; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def stripe_gateway(settings, localstripe_url):
    """Point the payments app at localstripe for this test."""
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 10
    from payments.gateways import gateway

    return gateway()


@pytest.fixture
def stripe_client(localstripe_url):
    """Stripe as the browser (Stripe.js) or the Stripe dashboard would act on it: raw SDK calls."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_url})


def confirm_setup(stripe_client, gateway_setup_id: str, number: str = "4242424242424242", exp_year: int = 2034,
                  exp_month: int = 12):
    """What Stripe.js does with the client secret and the card the customer typed."""
    try:
        return stripe_client.v1.setup_intents.confirm(gateway_setup_id, params={"payment_method_data": {
            "type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}}})
    except stripe.CardError:
        return stripe_client.v1.setup_intents.retrieve(gateway_setup_id)


@pytest.fixture(scope="session")
def stripe_shapes() -> dict:
    """Stripe's example object of every type (from fixtures3.json), for payloads localstripe cannot produce."""
    return json.loads(FIXTURES.read_text())["resources"]


def make_event(stripe_shapes, event_type: str, obj: dict, *, event_id: str | None = None,
               created: int | None = None) -> dict:
    event = json.loads(json.dumps(stripe_shapes["event"]))
    event.update(id=event_id or f"evt_test_{time.time_ns()}", type=event_type, created=created or int(time.time()),
                 data={"object": obj})
    return event


def signed_post(client, payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
                signature: str | None = None):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = signature if signature is not None else \
        stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return client.post("/webhooks/stripe/", data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=header)


@pytest.fixture
def flush_stripe(localstripe_url):
    """Empty localstripe (tests that count every charge in a window)."""
    request = urllib.request.Request(f"{localstripe_url}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 (our own local URL)
        pass


@pytest.fixture
def customer_card(stripe_gateway, stripe_client):
    """customer_card(account, number) -> PaymentMethod: a card added through the real SetupIntent flow,
    or (for cards localstripe only accepts without a SetupIntent) attached and recorded directly."""
    from billing import tenancy
    from payments.services.customers import gateway_customer_ensure
    from payments.services.methods import (
        payment_method_record,
        payment_method_setup_complete,
        payment_method_setup_start,
    )

    def make(account, number="4242424242424242", via_setup=True):
        with tenancy.operator_scope():
            if via_setup:
                started = payment_method_setup_start(account=account)
                confirm_setup(stripe_client, started.setup.gateway_id, number=number)
                return payment_method_setup_complete(setup=started.setup).payment_method
            customer = gateway_customer_ensure(account=account)
            method = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
                "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
            details = stripe_gateway.method_attach(method_id=method.id, customer_id=customer.customer_id)
            return payment_method_record(account_id=account.pk, gateway_name="stripe", details=details)

    return make


@pytest.fixture
def open_invoice():
    """open_invoice(account, amount='100.00', subscription=None) -> a finalized charge_automatically invoice."""
    from billing import tenancy
    from invoicing.services import invoice_finalize
    from tests.invoicing.factories import draft

    def make(account, amount="100.00", subscription=None, currency="USD"):
        with tenancy.operator_scope():
            invoice = draft(account, ("Plan", 1, amount), currency=currency,
                            subscription_id=subscription.pk if subscription else None)
            return invoice_finalize(invoice=invoice)

    return make


@pytest.fixture
def paid(make_account, customer_card, open_invoice):
    """paid(amount='100.00') -> the succeeded card payment of a new account's open invoice."""
    from billing import tenancy
    from payments.services.charging import payment_collect

    def make(amount="100.00"):
        account = make_account("Acme")
        customer_card(account)
        invoice = open_invoice(account, amount)
        with tenancy.operator_scope():
            return payment_collect(invoice_id=invoice.pk)

    return make


def stripe_charges(stripe_client, customer_id: str) -> list:
    return list(stripe_client.v1.charges.list(params={"customer": customer_id, "limit": 100}).data)


def outbox_events(event_type: str) -> list:
    from billing import tenancy
    from billing.models import OutboxEvent

    with tenancy.operator_scope():
        return list(OutboxEvent.objects.filter(type=event_type).order_by("id"))


def authenticate_3ds(localstripe_url: str, intent_id: str, client_secret: str, success: bool = True) -> None:
    """What the customer's bank page does through Stripe.js (localstripe's test endpoint)."""
    from urllib.parse import urlencode

    body = urlencode({"client_secret": client_secret, "success": "true" if success else "false",
                      "key": "pk_test_localstripe"}).encode()
    request = urllib.request.Request(f"{localstripe_url}/v1/payment_intents/{intent_id}/_authenticate", data=body,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 (our own local URL)
        pass
