"""Adding (SetupIntent), listing, defaulting and removing payment methods, against localstripe."""

import pytest

from billing import tenancy
from payments.models import PaymentMethod, PaymentSetup

from .conftest import confirm_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("Acme")


@pytest.fixture
def client_for(api_client, api_key_for):
    def make(account, scopes=("billing:read", "billing:write")):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, scopes)}")
        return api_client

    return make


def add_card(client, stripe_client, number="4242424242424242", exp_year=2034):
    started = client.post("/api/v1/payment-methods/setup", {}, format="json")
    assert started.status_code == 201, started.content
    confirm_setup(stripe_client, started.json()["gateway_setup_id"], number=number, exp_year=exp_year)
    return client.post(f"/api/v1/payment-methods/setups/{started.json()['setup_id']}/complete")


def test_setup_returns_a_client_secret_for_stripe_js(stripe_gateway, account, client_for):
    response = client_for(account).post("/api/v1/payment-methods/setup", {}, format="json")
    body = response.json()
    assert response.status_code == 201
    assert body["client_secret"].startswith(body["gateway_setup_id"] + "_secret_")
    assert body["publishable_key"] == "pk_test_localstripe"
    assert (body["gateway"], body["offline"]) == ("stripe", False)


def test_a_confirmed_card_is_stored_as_token_and_display_details_only(stripe_gateway, stripe_client, account,
                                                                       client_for):
    completed = add_card(client_for(account), stripe_client)
    assert completed.status_code == 200
    assert completed.json()["status"] == "succeeded"
    method = completed.json()["payment_method"]
    assert (method["brand"], method["last4"], method["exp_month"], method["exp_year"]) == ("visa", "4242", 12, 2034)
    assert method["is_default"] is True and method["gateway_id"].startswith("pm_")
    with tenancy.operator_scope():
        stored = PaymentMethod.objects.get(pk=method["id"])
        columns = {f.attname: getattr(stored, f.attname) for f in PaymentMethod._meta.concrete_fields}
    assert not any("4242424242424242" in str(value) for value in columns.values())
    assert stripe_client.v1.payment_methods.retrieve(method["gateway_id"]).customer  # attached in Stripe


def test_a_declined_card_fails_the_setup_and_stores_nothing(stripe_gateway, stripe_client, account, client_for):
    completed = add_card(client_for(account), stripe_client, number="4000000000000002")
    assert completed.json()["status"] == "failed"
    assert completed.json()["payment_method"] is None
    with tenancy.operator_scope():
        assert not PaymentMethod.objects.filter(account=account).exists()


def test_a_card_needing_3d_secure_stays_pending_until_the_customer_authenticates(stripe_gateway, stripe_client,
                                                                                 account, client_for):
    completed = add_card(client_for(account), stripe_client, number="4000000000003220")
    assert completed.json()["status"] == "started"


def test_list_set_default_and_remove(stripe_gateway, stripe_client, account, client_for):
    client = client_for(account)
    first = add_card(client, stripe_client).json()["payment_method"]
    second = add_card(client, stripe_client, exp_year=2035).json()["payment_method"]
    assert second["is_default"] is False

    made_default = client.post(f"/api/v1/payment-methods/{second['id']}/default")
    assert made_default.status_code == 200 and made_default.json()["is_default"] is True
    listed = client.get("/api/v1/payment-methods").json()["results"]
    assert [(m["id"], m["is_default"]) for m in listed] == [(second["id"], True), (first["id"], False)]
    with tenancy.operator_scope():
        customer_id = PaymentSetup.objects.filter(account=account).first() and \
            stripe_client.v1.payment_methods.retrieve(second["gateway_id"]).customer
    stripe_customer = stripe_client.v1.customers.retrieve(customer_id)
    assert stripe_customer.invoice_settings.default_payment_method == second["gateway_id"]

    removed = client.delete(f"/api/v1/payment-methods/{second['id']}")
    assert removed.status_code == 204
    assert stripe_client.v1.payment_methods.retrieve(second["gateway_id"]).customer is None  # detached
    listed = client.get("/api/v1/payment-methods").json()["results"]
    assert [(m["id"], m["is_default"]) for m in listed] == [(first["id"], True)]
    assert client.delete(f"/api/v1/payment-methods/{second['id']}").status_code == 404


def test_another_account_cannot_see_or_touch_my_methods(stripe_gateway, stripe_client, make_account, client_for):
    mine, theirs = make_account("Mine"), make_account("Theirs")
    method = add_card(client_for(mine), stripe_client).json()["payment_method"]
    other = client_for(theirs)
    assert other.get("/api/v1/payment-methods").json()["results"] == []
    assert other.post(f"/api/v1/payment-methods/{method['id']}/default").status_code == 404
    assert other.delete(f"/api/v1/payment-methods/{method['id']}").status_code == 404


def test_operator_keys_must_name_the_account(stripe_gateway, account, client_for):
    client = client_for(None, ("admin",))
    response = client.post("/api/v1/payment-methods/setup", {}, format="json")
    assert response.status_code == 400
    assert "account_id" in response.json()["error"]["fields"]
    assert client.post("/api/v1/payment-methods/setup", {"account_id": account.pk}, format="json").status_code == 201


def test_read_only_keys_cannot_add_methods(stripe_gateway, account, client_for):
    response = client_for(account, ("billing:read",)).post("/api/v1/payment-methods/setup", {}, format="json")
    assert response.status_code == 403


def test_the_sandbox_works_offline(settings, account, client_for):
    from payments.gateways import gateway

    settings.PAYMENTS_GATEWAY = "sandbox"
    client = client_for(account)
    started = client.post("/api/v1/payment-methods/setup", {}, format="json").json()
    assert started["offline"] is True and started["gateway"] == "sandbox"
    gateway().setup_confirm(setup_id=started["gateway_setup_id"], card="visa")
    completed = client.post(f"/api/v1/payment-methods/setups/{started['setup_id']}/complete").json()
    assert completed["payment_method"]["last4"] == "4242" and completed["payment_method"]["is_default"]
