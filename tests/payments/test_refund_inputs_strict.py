"""A refund's amount is minor units as a JSON integer: "10.00" was taken as 10 cents."""

import pytest

from billing.api.strict import MONEY_INVALID, UNKNOWN_FIELD, UNKNOWN_PARAMETER

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read', 'billing:write'])}")
    return api_client


def test_a_refund_amount_given_in_major_units_is_refused_before_anything_is_looked_up(operator):
    response = operator.post("/api/v1/refunds", {"payment_id": 1, "amount": "10.00", "reson": "dup"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {"amount": [MONEY_INVALID], "reson": [UNKNOWN_FIELD]}


def test_an_unknown_list_filter_is_refused_rather_than_listing_everything(operator):
    response = operator.get("/api/v1/payments?invoice=7")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"invoice": [UNKNOWN_PARAMETER]}
