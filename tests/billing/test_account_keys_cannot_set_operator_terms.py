"""Account keys (customers make their own in the console) cannot give themselves commercial terms:
a trial of their choosing, a start date, or a proration policy other than the plan's."""

import pytest

from billing import clock, tenancy
from billing.models import ProrationItem, Subscription
from billing.services import subscription_create
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def setup(make_account, api_key_for):
    acme = make_account("Acme")
    with tenancy.operator_scope():
        plan(code="basic", flat=3_000)
        plan(code="pro", flat=9_000)
    return acme, api_key_for(acme, scopes=("billing:read", "billing:write")), api_key_for(
        None, scopes=("billing:read", "billing:write"))


@pytest.mark.parametrize("extra", [{"trial_days": 3650}, {"start_at": "2020-01-01T00:00:00Z"}])
def test_an_account_key_cannot_choose_a_trial_or_a_start(setup, api_client, extra):
    acme, key, _ = setup
    response = api_client.post("/api/v1/subscriptions", {"plan": "basic", **extra}, format="json", **auth(key))
    assert response.status_code == 400 and set(extra) <= set(response.json()["error"]["fields"])
    with tenancy.operator_scope():
        assert not Subscription.objects.exists()


def test_an_operator_key_still_sets_them(setup, api_client):
    acme, _, operator_key = setup
    response = api_client.post("/api/v1/subscriptions", {"plan": "basic", "account_id": acme.pk, "trial_days": 30},
                               format="json", **auth(operator_key))
    assert response.status_code == 201 and response.json()["status"] == "trialing"


def test_an_account_key_cannot_upgrade_without_proration_or_cancel_with_a_credit(setup, api_client):
    acme, key, operator_key = setup
    with tenancy.operator_scope(), clock.frozen(utc(2026, 3, 1)):
        sub = subscription_create(account=acme, plan=tenancy_plan("basic"))
    url = f"/api/v1/subscriptions/{sub.pk}"
    with clock.frozen(utc(2026, 3, 16)):
        for path, body in (("change", {"plan": "pro", "proration_behavior": "none"}),
                           ("change", {"plan": "pro", "proration_behavior": "none", "preview": True}),
                           ("cancel", {"at_period_end": False, "proration_behavior": "create_prorations"})):
            response = api_client.post(f"{url}/{path}", body, format="json", **auth(key))
            assert response.status_code == 400 and "proration_behavior" in response.json()["error"]["fields"]
        with tenancy.operator_scope():
            assert Subscription.objects.get(pk=sub.pk).plan.code == "basic" and not ProrationItem.objects.exists()
        # the plan's own policy applies to an account key; an operator key may choose
        assert api_client.post(f"{url}/change", {"plan": "pro"}, format="json", **auth(key)).status_code == 200
        with tenancy.operator_scope():
            assert ProrationItem.objects.count() == 2
        response = api_client.post(f"{url}/cancel", {"at_period_end": False, "proration_behavior": "none"},
                                   format="json", **auth(operator_key))
        assert response.status_code == 200 and response.json()["status"] == "canceled"


def tenancy_plan(code):
    from billing.models import Plan

    return Plan.objects.get(code=code)
