"""The subscription list's query filters: bad values are a 400 naming the parameter, not a server error."""

import pytest

from billing import tenancy
from billing.services import subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_bad_filters_name_their_parameter(make_account, api_key_for, api_client):
    key = api_key_for(None, scopes=("billing:read",))
    for query, name in (("account_id=abc", "account_id"), ("status=bogus", "status")):
        response = api_client.get(f"/api/v1/subscriptions?{query}", **auth(key))
        assert response.status_code == 400, response.content
        assert name in response.json()["error"]["fields"]


def test_good_filters_still_filter(make_account, api_key_for, api_client):
    a, b = make_account(), make_account()
    with tenancy.operator_scope():
        basic = plan(code="basic")
        subscription_create(account=a, plan=basic)
        subscription_create(account=b, plan=basic)
    key = api_key_for(None, scopes=("billing:read",))
    body = api_client.get(f"/api/v1/subscriptions?account_id={a.pk}&status=active", **auth(key)).json()
    assert [s["account_id"] for s in body["results"]] == [a.pk]
