"""The subscriptions, plans, credits and coupons API: scopes, tenancy, previews and 409s."""

from decimal import Decimal

import pytest

from billing import clock, tenancy
from billing.models import ProrationItem, Subscription
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def plans(db):
    with tenancy.operator_scope():
        return (plan(code="basic", flat=3_000), plan(code="pro", flat=9_000),
                plan(code="secret", flat=1, is_public=False))


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


@pytest.fixture
def acme_key(acme, api_key_for):
    return api_key_for(acme, scopes=("billing:read", "billing:write"))


def test_account_keys_see_public_plans_and_operator_keys_see_all(plans, acme_key, api_key_for, api_client):
    body = api_client.get("/api/v1/plans", **auth(acme_key)).json()
    assert sorted(p["code"] for p in body["results"]) == ["basic", "pro"]
    assert body["results"][0]["prices"][0]["currency"] == "USD"
    operator_key = api_key_for(None, scopes=("billing:read",))
    body = api_client.get("/api/v1/plans", **auth(operator_key)).json()
    assert sorted(p["code"] for p in body["results"]) == ["basic", "pro", "secret"]


def test_only_operator_keys_create_plans(plans, acme_key, api_key_for, api_client):
    new = {"code": "team", "name": "Team", "prices": {"USD": {"flat_amount": 5_000, "seat_amount": 700}},
           "included_seats": 3}
    assert api_client.post("/api/v1/plans", new, format="json", **auth(acme_key)).status_code == 403
    operator_key = api_key_for(None, scopes=("billing:write",))
    response = api_client.post("/api/v1/plans", new, format="json", **auth(operator_key))
    assert response.status_code == 201, response.json()
    assert response.json()["prices"] == [{"currency": "USD", "flat_amount": 5_000, "seat_amount": 700}]
    bad = api_client.post("/api/v1/plans/team/pricing", {"charges": [{"metric": "nope", "currency": "USD"}]},
                          format="json", **auth(operator_key))
    assert bad.status_code == 400 and "charges.0.metric" in bad.json()["error"]["fields"]


def test_create_preview_change_and_cancel_over_the_api(plans, acme, acme_key, api_client):
    with clock.frozen(utc(2026, 3, 1)):
        response = api_client.post("/api/v1/subscriptions", {"plan": "basic"}, format="json", **auth(acme_key))
    assert response.status_code == 201, response.json()
    sub = response.json()
    assert (sub["account_id"], sub["status"], sub["current_period_end"]) == (acme.pk, "active",
                                                                             "2026-04-01T00:00:00Z")
    url = f"/api/v1/subscriptions/{sub['id']}"
    with clock.frozen(utc(2026, 3, 16, 12)):
        preview = api_client.post(f"{url}/change", {"plan": "pro", "preview": True}, format="json",
                                  **auth(acme_key)).json()
        assert preview["preview"] is True and preview["proration_total"] == -1_500 + 4_500
        with tenancy.operator_scope():
            assert not ProrationItem.objects.exists()
        changed = api_client.post(f"{url}/change", {"plan": "pro"}, format="json", **auth(acme_key)).json()
    assert changed["subscription"]["plan"] == "pro" and changed["proration_total"] == 3_000
    assert api_client.post(f"{url}/cancel", {}, format="json", **auth(acme_key)).json()["cancel_at_period_end"]
    again = api_client.post(f"{url}/cancel", {}, format="json", **auth(acme_key))
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"
    assert api_client.post(f"{url}/undo-cancel", **auth(acme_key)).json()["cancel_at_period_end"] is False
    assert api_client.post(f"{url}/pause", {}, format="json", **auth(acme_key)).json()["status"] == "paused"
    assert api_client.post(f"{url}/resume", **auth(acme_key)).json()["status"] == "active"


def test_an_account_key_cannot_see_or_touch_another_accounts_subscription(plans, acme_key, make_account,
                                                                             api_client):
    from billing.services import subscription_create

    other = make_account("Other")
    with tenancy.operator_scope():
        theirs = subscription_create(account=other, plan=plans[0])
    assert api_client.get(f"/api/v1/subscriptions/{theirs.pk}", **auth(acme_key)).status_code == 404
    assert api_client.post(f"/api/v1/subscriptions/{theirs.pk}/cancel", {}, format="json",
                           **auth(acme_key)).status_code == 404
    assert api_client.get("/api/v1/subscriptions", **auth(acme_key)).json()["results"] == []
    response = api_client.post("/api/v1/subscriptions", {"plan": "basic", "account_id": other.pk}, format="json",
                               **auth(acme_key))
    assert response.status_code == 400 and "account_id" in response.json()["error"]["fields"]
    with tenancy.operator_scope():
        assert Subscription.objects.filter(account=other).count() == 1


def test_read_keys_cannot_write(plans, acme, api_key_for, api_client):
    read_key = api_key_for(acme, scopes=("billing:read",))
    assert api_client.post("/api/v1/subscriptions", {"plan": "basic"}, format="json",
                           **auth(read_key)).status_code == 403


def test_billing_profile_and_credits(acme, acme_key, api_key_for, api_client):
    url = f"/api/v1/accounts/{acme.pk}"
    empty = api_client.get(f"{url}/billing-profile", **auth(acme_key))
    assert empty.status_code == 200 and empty.json()["legal_name"] == ""
    response = api_client.patch(f"{url}/billing-profile", {"legal_name": "Acme GmbH", "country": "de",
                                                           "tax_id": "DE 136 695 976", "tax_id_type": "eu_vat"},
                                format="json", **auth(acme_key))
    assert response.status_code == 200 and response.json()["country"] == "DE"
    assert response.json()["tax_id"] == "DE136695976"  # stored compact
    wrong_digit = api_client.patch(f"{url}/billing-profile", {"tax_id": "DE136695977"}, format="json",
                                   **auth(acme_key))
    assert wrong_digit.status_code == 400 and "tax_id" in wrong_digit.json()["error"]["fields"]
    bad = api_client.patch(f"{url}/billing-profile", {"currency": "dollars"}, format="json", **auth(acme_key))
    assert bad.status_code == 400 and "currency" in bad.json()["error"]["fields"]
    grant = {"amount": 2_500, "currency": "USD", "reason": "goodwill"}
    assert api_client.post(f"{url}/credits", grant, format="json", **auth(acme_key)).status_code == 403
    operator_key = api_key_for(None, scopes=("billing:read", "billing:write"))
    assert api_client.post(f"{url}/credits", grant, format="json", **auth(operator_key)).status_code == 201
    assert api_client.get(f"{url}/credits", **auth(acme_key)).json()["balance"] == {"USD": 2_500}


def test_operator_creates_a_coupon_that_a_subscription_redeems(plans, acme, acme_key, api_key_for, api_client):
    operator_key = api_key_for(None, scopes=("billing:read", "billing:write"))
    response = api_client.post("/api/v1/coupons", {"code": "half", "name": "Half off", "percent_off": "50",
                                                   "duration": "repeating", "duration_in_periods": 3,
                                                   "plans": ["pro"]}, format="json", **auth(operator_key))
    assert response.status_code == 201, response.json()
    api_client.post("/api/v1/coupons/half/promotion-codes", {"code": "HALF"}, format="json", **auth(operator_key))
    bad = api_client.post("/api/v1/subscriptions", {"plan": "basic", "coupon": "HALF"}, format="json",
                          **auth(acme_key))
    assert bad.status_code == 400 and "coupon" in bad.json()["error"]["fields"]
    ok = api_client.post("/api/v1/subscriptions", {"plan": "pro", "coupon": "HALF"}, format="json",
                         **auth(acme_key))
    assert ok.status_code == 201
    assert ok.json()["discount"] | {"percent_off": None} == {"coupon": "half", "percent_off": None, "amount_off": None,
                                                            "periods_total": 3, "periods_used": 0}
    url = f"/api/v1/subscriptions/{ok.json()['id']}/coupon"
    assert api_client.delete(url, **auth(acme_key)).json()["discount"] is None
    assert api_client.delete(url, **auth(acme_key)).status_code == 409


def test_account_keys_cannot_pick_a_private_plan(plans, acme, acme_key, api_key_for, api_client):
    response = api_client.post("/api/v1/subscriptions", {"plan": "secret"}, format="json", **auth(acme_key))
    assert response.status_code == 400 and "plan" in response.json()["error"]["fields"]
    operator_key = api_key_for(None, scopes=("billing:write",))
    response = api_client.post("/api/v1/subscriptions", {"plan": "secret", "account_id": acme.pk}, format="json",
                               **auth(operator_key))
    assert response.status_code == 201


def test_operator_keys_set_an_enterprise_deal(plans, acme, acme_key, api_key_for, api_client):
    from billing.selectors import entitlements_for, plan_terms_for
    from tests.billing.catalog_factories import metric

    with tenancy.operator_scope():
        metric("api_calls")
    sub = api_client.post("/api/v1/subscriptions", {"plan": "pro"}, format="json", **auth(acme_key)).json()
    url = f"/api/v1/subscriptions/{sub['id']}/overrides"
    deal = {"flat_amount": 50_000, "metrics": [{"metric": "api_calls", "included": 5_000_000, "unit_price": "0.0001"}]}
    assert api_client.post(url, deal, format="json", **auth(acme_key)).status_code == 403
    operator_key = api_key_for(None, scopes=("billing:write",))
    response = api_client.post(url, deal, format="json", **auth(operator_key))
    assert response.status_code == 200 and response.json()["flat_amount_override"] == 50_000
    with tenancy.operator_scope():
        subscription = Subscription.objects.get(pk=sub["id"])
        assert plan_terms_for(subscription).flat_amount == 50_000
        (api,) = entitlements_for(account_id=acme.pk)
    # The plan neither limits nor charges api_calls: the deal adds both.
    assert (api.included, api.charge.unit_price, api.charge.currency) == (5_000_000, Decimal("0.0001"), "USD")
