"""The authentication scheme is case-insensitive (RFC 7235 §2.1): `bearer <key>` works as `Bearer <key>`."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_any_case_of_bearer_authenticates(make_account, api_key_for, api_client, scheme):
    key = api_key_for(make_account(), scopes=["billing:read"])
    assert api_client.get("/api/v1/audit-entries", HTTP_AUTHORIZATION=f"{scheme} {key}").status_code == 200
