"""An account key may edit its billing profile but not the Stripe customer its invoices are charged to."""

import pytest

from billing import tenancy
from billing.models import BillingProfile

pytestmark = pytest.mark.django_db


def test_an_account_key_cannot_point_its_profile_at_another_stripe_customer(make_account, api_key_for, api_client):
    acme = make_account("Acme")
    key = api_key_for(acme, ("billing:read", "billing:write"))
    response = api_client.patch(f"/api/v1/accounts/{acme.pk}/billing-profile",
                                {"legal_name": "Acme SAS", "stripe_customer_id": "cus_someone_else"},
                                format="json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400
    assert "stripe_customer_id" in response.json()["error"]["fields"]
    with tenancy.operator_scope():
        profile = BillingProfile.objects.filter(account=acme).first()
        assert profile is None or (profile.stripe_customer_id, profile.legal_name) == ("", "")


def test_an_account_key_still_edits_the_rest_and_an_operator_key_sets_the_customer(make_account, api_key_for,
                                                                                    api_client):
    acme = make_account("Acme")
    own = api_key_for(acme, ("billing:read", "billing:write"))
    operator = api_key_for(None, ("billing:read", "billing:write"))
    url = f"/api/v1/accounts/{acme.pk}/billing-profile"
    assert api_client.patch(url, {"legal_name": "Acme SAS"}, format="json",
                            HTTP_AUTHORIZATION=f"Bearer {own}").status_code == 200
    assert api_client.patch(url, {"stripe_customer_id": "cus_acme"}, format="json",
                            HTTP_AUTHORIZATION=f"Bearer {operator}").status_code == 200
    with tenancy.operator_scope():
        profile = BillingProfile.objects.get(account=acme)
        assert (profile.legal_name, profile.stripe_customer_id) == ("Acme SAS", "cus_acme")
