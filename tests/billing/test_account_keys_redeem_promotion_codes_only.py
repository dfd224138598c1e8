"""Customers redeem promotion codes; a coupon's own code is finance's to apply (operator keys, admin)."""

import pytest

from billing import tenancy
from billing.models import SubscriptionDiscount
from billing.services import coupon_create, promotion_code_create, subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def setup(make_account, api_key_for):
    acme = make_account("Acme")
    with tenancy.operator_scope():
        basic = plan(code="basic", flat=3_000)
        deal = coupon_create(code="enterprise-deal", name="Deal", percent_off=100, duration="forever")
        promotion_code_create(coupon=coupon_create(code="launch", name="Launch", percent_off=10), code="LAUNCH10")
        sub = subscription_create(account=acme, plan=basic)
    return acme, sub, deal, api_key_for(acme, scopes=("billing:read", "billing:write")), api_key_for(
        None, scopes=("billing:read", "billing:write"))


def test_an_account_key_cannot_apply_a_coupon_by_its_own_code(setup, api_client):
    acme, sub, _, key, _ = setup
    response = api_client.post(f"/api/v1/subscriptions/{sub.pk}/coupon", {"code": "enterprise-deal"}, format="json",
                               **auth(key))
    assert response.status_code == 400 and "coupon" in response.json()["error"]["fields"]
    created = api_client.post("/api/v1/subscriptions", {"plan": "basic", "coupon": "enterprise-deal"},
                              format="json", **auth(key))
    assert created.status_code == 400 and "coupon" in created.json()["error"]["fields"]
    with tenancy.operator_scope():
        assert not SubscriptionDiscount.objects.exists()


def test_an_account_key_redeems_a_promotion_code_and_an_operator_key_applies_a_coupon(setup, api_client):
    acme, sub, _, key, operator_key = setup
    response = api_client.post(f"/api/v1/subscriptions/{sub.pk}/coupon", {"code": "LAUNCH10"}, format="json",
                               **auth(key))
    assert response.status_code == 200 and response.json()["discount"]["coupon"] == "launch"
    response = api_client.post(f"/api/v1/subscriptions/{sub.pk}/coupon", {"code": "enterprise-deal"},
                               format="json", **auth(operator_key))
    assert response.status_code == 200 and response.json()["discount"]["coupon"] == "enterprise-deal"
