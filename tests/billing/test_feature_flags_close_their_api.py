"""A feature switched off (its flag in billing.conf.FEATURE_FLAGS) closes its part of the API with 404 `feature_disabled`."""

import pytest

from billing.conf import FEATURE_FLAGS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("feature, path", [
    ("invoicing", "/api/v1/invoices"),
    ("payments", "/api/v1/payments"),
    ("reconciliation", "/api/v1/billing/reconciliation-runs"),
    ("usage_metering", "/api/v1/usage/current"),
])
def test_a_disabled_feature_answers_404_and_the_others_still_work(feature, path, settings, api_client, api_key_for):
    key = api_key_for(None, ["billing:read", "usage:read", "admin"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    setattr(settings, FEATURE_FLAGS[feature], False)
    response = api_client.get(path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "feature_disabled"
    assert api_client.get("/api/v1/accounts").status_code == 200
    setattr(settings, FEATURE_FLAGS[feature], True)
    assert api_client.get(path).status_code != 404
