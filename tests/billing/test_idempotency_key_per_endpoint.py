"""An Idempotency-Key names one request: reusing it on another endpoint is a conflict, never a replay."""

import pytest

from billing import tenancy
from billing.models import ApiKey
from billing.services import api_key_create

pytestmark = pytest.mark.django_db


def test_the_same_key_and_empty_body_on_another_path_is_a_conflict_not_a_replay(api_client, api_key_for):
    admin_key = api_key_for(None, scopes=["admin"])
    with tenancy.operator_scope():
        first = api_key_create(name="first", scopes=["usage:read"]).api_key
        second = api_key_create(name="second", scopes=["usage:read"]).api_key
    headers = {"HTTP_AUTHORIZATION": f"Bearer {admin_key}", "HTTP_IDEMPOTENCY_KEY": "revoke-1"}

    assert api_client.post(f"/api/v1/api-keys/{first.pk}/revoke", **headers).status_code == 200
    response = api_client.post(f"/api/v1/api-keys/{second.pk}/revoke", **headers)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    with tenancy.operator_scope():
        assert ApiKey.objects.get(pk=second.pk).revoked_at is None
