"""List filters over the API: a malformed id is a 400 naming the parameter, not a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path, parameter", [
    ("/api/v1/payments", "account_id"), ("/api/v1/payments", "invoice_id"),
    ("/api/v1/refunds", "account_id"), ("/api/v1/refunds", "payment_id"),
])
def test_a_malformed_filter_id_is_refused_naming_it(api_client, api_key_for, path, parameter):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ('billing:read',))}")
    response = api_client.get(f"{path}?{parameter}=abc")
    assert response.status_code == 400
    assert parameter in response.json()["error"]["fields"]
