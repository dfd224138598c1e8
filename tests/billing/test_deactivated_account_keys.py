"""A deactivated account loses API access as it loses console access: its keys stop authenticating."""

import pytest

from billing import tenancy
from billing.models import Account

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_the_keys_of_a_deactivated_account_are_refused(make_account, api_key_for, api_client):
    account = make_account()
    raw = api_key_for(account, scopes=["billing:read"])
    assert api_client.get("/api/v1/audit-entries", **bearer(raw)).status_code == 200

    with tenancy.operator_scope():
        Account.objects.filter(pk=account.pk).update(is_active=False)
    response = api_client.get("/api/v1/audit-entries", **bearer(raw))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_operator_keys_still_work_with_no_account(api_key_for, api_client):
    raw = api_key_for(None, scopes=["billing:read"])
    assert api_client.get("/api/v1/audit-entries", **bearer(raw)).status_code == 200
