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
