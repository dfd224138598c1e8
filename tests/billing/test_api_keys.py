"""API keys: hashed storage, bearer authentication, scopes, account isolation, revocation."""

import hashlib

import pytest

from billing import tenancy
from billing.models import ApiKey

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_the_key_is_stored_only_as_a_hash_with_its_prefix(make_account, api_key_for):
    raw = api_key_for(make_account(), scopes=["billing:read"])
    prefix = raw.split("_")[1]
    with tenancy.operator_scope():
        stored = ApiKey.objects.get(prefix=prefix)
    assert raw not in (stored.key_hash, stored.prefix, stored.name)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()


def test_an_account_key_reads_only_its_own_accounts_audit_entries(make_account, api_key_for, api_client):
    acme, globex = make_account("Acme"), make_account("Globex")
    key = api_key_for(acme, scopes=["billing:read"])
    response = api_client.get("/api/v1/audit-entries", **bearer(key))
    assert response.status_code == 200
    accounts = {row["account_id"] for row in response.json()["results"]}
    assert accounts == {acme.pk}
    assert globex.pk not in accounts


def test_an_operator_key_reads_every_account(make_account, api_key_for, api_client):
    acme, globex = make_account("Acme"), make_account("Globex")
    key = api_key_for(None, scopes=["billing:read"])
    response = api_client.get("/api/v1/audit-entries?action=account.created", **bearer(key))
    assert {row["account_id"] for row in response.json()["results"]} >= {acme.pk, globex.pk}


@pytest.mark.parametrize(
    "header, message",
    [
        ("Bearer bk_nothex000000_secret", "Invalid API key."),
        ("Bearer not-a-key", "Malformed API key."),
        ("Token abc", "Use 'Authorization: Bearer <api key>'."),
    ],
)
def test_bad_credentials_get_401_in_the_error_shape(api_client, header, message):
    response = api_client.get("/api/v1/audit-entries", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert error["message"] == message
    assert error["request_id"] == response["X-Request-ID"]


def test_no_credentials_get_401(api_client):
    response = api_client.get("/api/v1/audit-entries")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_key_without_the_scope_gets_403_naming_the_scope(make_account, api_key_for, api_client):
    key = api_key_for(make_account(), scopes=["usage:write"])
    response = api_client.get("/api/v1/audit-entries", **bearer(key))
    assert response.status_code == 403
    assert "billing:read" in response.json()["error"]["message"]


def test_a_revoked_key_is_refused(make_account, api_key_for, api_client):
    from billing.services import api_key_revoke

    raw = api_key_for(make_account(), scopes=["billing:read"])
    with tenancy.operator_scope():
        api_key_revoke(api_key=ApiKey.objects.get(prefix=raw.split("_")[1]))
    response = api_client.get("/api/v1/audit-entries", **bearer(raw))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_use_is_recorded_as_last_used_time(make_account, api_key_for, api_client):
    raw = api_key_for(make_account(), scopes=["billing:read"])
    api_client.get("/api/v1/audit-entries", **bearer(raw))
    with tenancy.operator_scope():
        assert ApiKey.objects.get(prefix=raw.split("_")[1]).last_used_at is not None


def test_an_operator_admin_key_creates_and_revokes_keys_with_audit(make_account, api_key_for, api_client):
    account = make_account()
    admin_key = api_key_for(None, scopes=["admin"])
    created = api_client.post("/api/v1/api-keys", {"name": "ingest", "scopes": ["usage:write"],
                                                   "account_id": account.pk}, format="json", **bearer(admin_key))
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("bk_")
    revoked = api_client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke", **bearer(admin_key))
    assert revoked.json()["revoked_at"] is not None
    with tenancy.operator_scope():
        from billing.models import AuditEntry

        actions = set(AuditEntry.objects.filter(object_type="billing.apikey", object_id=str(created.json()["id"]))
                      .values_list("action", flat=True))
        actor_types = set(AuditEntry.objects.filter(action="api_key.revoked").values_list("actor_type", flat=True))
    assert actions == {"api_key.created", "api_key.revoked"}
    assert actor_types == {"api_key"}


def test_account_keys_cannot_have_the_admin_scope(make_account, api_key_for, api_client):
    admin_key = api_key_for(None, scopes=["admin"])
    response = api_client.post("/api/v1/api-keys", {"name": "x", "scopes": ["admin"], "account_id": make_account().pk},
                               format="json", **bearer(admin_key))
    assert response.status_code == 400
    assert "scopes" in response.json()["error"]["fields"]


def test_creating_a_key_with_bad_fields_names_each_field(api_key_for, api_client):
    admin_key = api_key_for(None, scopes=["admin"])
    response = api_client.post("/api/v1/api-keys", {"scopes": ["nope"]}, format="json", **bearer(admin_key))
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "scopes.0"} or set(fields) == {"name", "scopes"}


def test_the_key_lookup_function_leaves_no_operator_scope_behind(make_account, api_key_for):
    from django.db import connection

    raw = api_key_for(make_account(), scopes=["billing:read"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM billing_api_key_by_prefix(%s)", [raw.split("_")[1]])
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT coalesce(current_setting('billing.scope', true), ''), count(*) FROM billing_apikey")
        assert cursor.fetchone() == ("", 0)
