"""The account over the API shows how it is collected and its overdue state; only operator keys (and finance)
choose the collection method, of the account or of one subscription."""

import pytest

from billing import tenancy
from billing.models import Subscription
from billing.services import account_standing_change
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def keys(make_account, api_key_for):
    acme = make_account("Acme")
    scopes = ("billing:read", "billing:write")
    return acme, api_key_for(acme, scopes), api_key_for(None, scopes)


def test_the_account_shows_its_collection_method_and_overdue_state(keys, api_client):
    acme, own, operator = keys
    shown = api_client.get(f"/api/v1/accounts/{acme.pk}", **auth(own)).json()
    assert (shown["collection_method"], shown["overdue_state"]) == ("charge_automatically", "good")
    assert api_client.patch(f"/api/v1/accounts/{acme.pk}/billing-profile", {"collection_method": "send_invoice"},
                            format="json", **auth(operator)).status_code == 200
    with tenancy.operator_scope():
        account_standing_change(account_id=acme.pk, state="restricted", days_past_due=15)
    shown = api_client.get(f"/api/v1/accounts/{acme.pk}", **auth(own)).json()
    assert (shown["collection_method"], shown["overdue_state"]) == ("send_invoice", "restricted")
    listed, = api_client.get("/api/v1/accounts", **auth(own)).json()["results"]
    assert (listed["collection_method"], listed["overdue_state"]) == ("send_invoice", "restricted")


def test_an_account_key_cannot_choose_its_collection_method(keys, api_client):
    acme, own, operator = keys
    response = api_client.patch(f"/api/v1/accounts/{acme.pk}/billing-profile", {"collection_method": "send_invoice"},
                                format="json", **auth(own))
    assert response.status_code == 400 and "collection_method" in response.json()["error"]["fields"]
    response = api_client.patch(f"/api/v1/accounts/{acme.pk}/billing-profile", {"collection_method": "cash"},
                                format="json", **auth(operator))
    assert response.status_code == 400 and "collection_method" in response.json()["error"]["fields"]


def test_a_subscription_collection_method_is_set_by_operator_keys_only(keys, api_client):
    acme, own, operator = keys
    with tenancy.operator_scope():
        plan(code="basic", flat=3_000)
    body = {"plan": "basic", "metadata": {"collection_method": "send_invoice"}}
    refused = api_client.post("/api/v1/subscriptions", body, format="json", **auth(own))
    assert refused.status_code == 400 and "metadata" in refused.json()["error"]["fields"]
    created = api_client.post("/api/v1/subscriptions", {**body, "account_id": acme.pk}, format="json",
                              **auth(operator))
    assert created.status_code == 201
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=created.json()["id"]).metadata["collection_method"] == "send_invoice"
