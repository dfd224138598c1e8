"""POST /api/v1/portal-sessions: an operator key gets a one-time link, valid minutes, that signs a person into
the console for an account (making the user and membership when new, never lowering a role) and opens a
flow, with a "Back to <operator>" link; used or expired it is a 404 that says so."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import clock, tenancy
from billing.models import Membership, PortalSession
from tests.console_world import page_text, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_key(api_key_for):
    return api_key_for(None, ["billing:write"])


def open_link(api_client, key, **body):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client.post("/api/v1/portal-sessions", body, format="json")


def test_a_new_person_follows_the_link_into_the_payment_methods(world, api_client, operator_key, settings):  # noqa: F811
    settings.OPERATOR_NAME = "Example SaaS Ltd"
    response = open_link(api_client, operator_key, account_id=world.acme.pk, email="carol@example.com",
                         role="billing_manager", return_url="https://app.example.com/settings",
                         flow="update_payment_method")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"url", "expires_at"} and "/console/portal/" in body["url"]
    with tenancy.operator_scope():
        stored = PortalSession.objects.get()
        assert body["url"].rstrip("/").rsplit("/", 1)[1] != stored.token_hash
        assert timedelta(minutes=4) < stored.expires_at - clock.now() <= timedelta(minutes=5)
    browser = Client()
    landed = browser.get("/" + body["url"].split("/", 3)[3])
    assert landed.status_code == 302 and landed["Location"] == "/console/payment-methods/"
    page = browser.get("/console/")
    assert page.status_code == 200 and "Acme Corp" in page_text(page)
    assert 'href="https://app.example.com/settings">Back to Example SaaS Ltd' in page.content.decode()
    with tenancy.operator_scope():
        carol = get_user_model().objects.get(email="carol@example.com")
        assert not carol.has_usable_password()
        assert Membership.objects.get(account=world.acme, user=carol).role == "billing_manager"
    used = Client().get("/" + body["url"].split("/", 3)[3])
    assert used.status_code == 404 and "This link has expired" in page_text(used)


@pytest.mark.parametrize(("flow", "extra", "lands"), [
    ("pay_invoice", {}, "/console/invoices/?status=open"),
    ("change_plan", {}, "/console/plan/"),
    ("cancel", {}, "/console/plan/#cancel"),
    (None, {}, "/console/"),
])
def test_each_flow_opens_its_page(world, api_client, operator_key, flow, extra, lands):  # noqa: F811
    body = {"account_id": world.acme.pk, "email": "alice@example.com", "role": "viewer",
            "return_url": "http://localhost:3000/back"} | ({"flow": flow} if flow else {}) | extra
    url = open_link(api_client, operator_key, **body).json()["url"]
    assert Client().get("/" + url.split("/", 3)[3])["Location"] == lands


def test_pay_invoice_with_an_invoice_opens_that_invoice(world, api_client, operator_key):  # noqa: F811
    url = open_link(api_client, operator_key, account_id=world.acme.pk, email="alice@example.com", role="owner",
                    return_url="https://app.example.com/", flow="pay_invoice",
                    invoice_id=world.open_invoice.pk).json()["url"]
    assert Client().get("/" + url.split("/", 3)[3])["Location"] == f"/console/invoices/{world.open_invoice.pk}/"


def test_a_link_never_lowers_a_role(world, api_client, operator_key):  # noqa: F811
    url = open_link(api_client, operator_key, account_id=world.acme.pk, email="alice@example.com", role="viewer",
                    return_url="https://app.example.com/").json()["url"]
    browser = Client()
    browser.get("/" + url.split("/", 3)[3])
    with tenancy.operator_scope():
        assert Membership.objects.get(account=world.acme, user=world.owner).role == "owner"
    assert browser.get("/console/members/").status_code == 200


def test_an_expired_link_is_a_404_that_says_so(world, api_client, operator_key):  # noqa: F811
    url = open_link(api_client, operator_key, account_id=world.acme.pk, email="dan@example.com", role="viewer",
                    return_url="https://app.example.com/").json()["url"]
    with tenancy.operator_scope():
        PortalSession.objects.update(expires_at=clock.now() - timedelta(seconds=1))
    response = Client().get("/" + url.split("/", 3)[3])
    assert response.status_code == 404 and "This link has expired" in page_text(response)
    assert not get_user_model().objects.filter(email="dan@example.com").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("return_url", "javascript:alert(1)"), ("return_url", "ftp://example.com/"), ("return_url", "/relative"),
    ("email", "nobody"), ("role", "admin"), ("flow", "steal"), ("account_id", "1"), ("account_id", 10**9),
])
def test_bad_input_is_a_400_naming_the_field(world, api_client, operator_key, field, value):  # noqa: F811
    body = {"account_id": world.acme.pk, "email": "e@example.com", "role": "viewer",
            "return_url": "https://app.example.com/"} | {field: value}
    response = open_link(api_client, operator_key, **body)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_an_operator_staff_address_gets_no_link(world, api_client, operator_key):  # noqa: F811
    get_user_model().objects.create_user("finance", "finance@example.com", "x", is_staff=True)
    response = open_link(api_client, operator_key, account_id=world.acme.pk, email="Finance@example.com",
                         role="owner", return_url="https://app.example.com/")
    assert response.status_code == 400 and "email" in response.json()["error"]["fields"]


def test_account_keys_and_read_only_keys_are_refused(world, api_client, api_key_for):  # noqa: F811
    body = {"account_id": world.acme.pk, "email": "e@example.com", "role": "owner",
            "return_url": "https://app.example.com/"}
    assert open_link(api_client, api_key_for(world.acme, ["billing:write"]), **body).status_code == 403
    assert open_link(api_client, api_key_for(None, ["billing:read"]), **body).status_code == 403
