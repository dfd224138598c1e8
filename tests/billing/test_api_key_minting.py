"""Who may mint which key: every path (admin, API, console, manage.py), refused and allowed.

Only superusers, or holders of `billing.mint_admin_keys`, mint keys with the `admin` scope;
an API key mints only scopes it holds; console owners mint keys of their own account only.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import Client

from billing import tenancy
from billing.errors import BillingError
from billing.models import ApiKey, Membership, MembershipRole
from billing.roles import FINANCE_ADMIN
from billing.services import api_key_create
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def keys_named(name):
    with tenancy.operator_scope():
        return list(ApiKey.objects.filter(name=name))


# The admin


def test_finance_staff_mint_operator_keys_but_never_the_admin_scope():
    client = staff("fin", FINANCE_ADMIN)
    form = client.get("/admin/billing/apikey/add/").content.decode()
    assert 'value="billing:write"' in form and 'value="admin"' not in form
    refused = client.post("/admin/billing/apikey/add/", {"name": "root", "scopes": ["admin", "billing:read"]})
    assert refused.status_code == 200  # the form again, with the error
    assert "scopes" in refused.context["adminform"].form.errors
    assert keys_named("root") == []
    allowed = client.post("/admin/billing/apikey/add/", {"name": "reader", "scopes": ["billing:read"]})
    assert allowed.status_code == 302
    [key] = keys_named("reader")
    assert key.is_operator and key.scopes == ["billing:read"]


def test_the_mint_admin_keys_permission_is_given_to_a_person_never_to_the_finance_groups():
    permission = Permission.objects.get(codename="mint_admin_keys", content_type__app_label="billing")
    assert not Group.objects.get(name=FINANCE_ADMIN).permissions.filter(pk=permission.pk).exists()
    client = staff("trusted", FINANCE_ADMIN)
    get_user_model().objects.get(username="trusted").user_permissions.add(permission)
    assert 'value="admin"' in client.get("/admin/billing/apikey/add/").content.decode()
    response = client.post("/admin/billing/apikey/add/", {"name": "rotation", "scopes": ["admin"]})
    assert response.status_code == 302
    assert keys_named("rotation")[0].scopes == ["admin"]


def test_a_superuser_mints_an_admin_key_in_the_admin_but_never_an_admin_account_key(make_account):
    account = make_account("Acme")
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    refused = client.post("/admin/billing/apikey/add/", {"name": "acct", "account": account.pk, "scopes": ["admin"]})
    assert refused.status_code == 200 and "scopes" in refused.context["adminform"].form.errors
    assert client.post("/admin/billing/apikey/add/", {"name": "ops", "scopes": ["admin"]}).status_code == 302
    assert keys_named("ops")[0].scopes == ["admin"] and keys_named("acct") == []


# The API


def test_an_operator_key_mints_keys_with_the_scopes_it_holds_and_no_others(make_account, api_key_for, api_client):
    account = make_account()
    provisioning = api_key_for(None, scopes=["billing:write", "usage:write"])
    allowed = api_client.post("/api/v1/api-keys", {"name": "ingest", "scopes": ["usage:write"],
                                                   "account_id": account.pk}, format="json", **bearer(provisioning))
    assert allowed.status_code == 201, allowed.json()
    assert allowed.json()["account_id"] == account.pk and allowed.json()["scopes"] == ["usage:write"]
    for scopes, lacking in ((["billing:read"], "billing:read"), (["usage:write", "admin"], "admin")):
        refused = api_client.post("/api/v1/api-keys", {"name": "more", "scopes": scopes}, format="json",
                                  **bearer(provisioning))
        assert refused.status_code == 403, refused.json()
        assert lacking in refused.json()["error"]["fields"]["scopes"][0]
    assert keys_named("more") == []


def test_only_an_admin_key_mints_an_admin_key_over_the_api(api_key_for, api_client):
    writer = api_key_for(None, scopes=["billing:write", "billing:read", "usage:write", "usage:read"])
    refused = api_client.post("/api/v1/api-keys", {"name": "root", "scopes": ["admin"]}, format="json",
                              **bearer(writer))
    assert refused.status_code == 403
    assert refused.json()["error"]["fields"] == {"scopes": ["Not held by this key: admin."]}
    admin = api_key_for(None, scopes=["admin"])
    allowed = api_client.post("/api/v1/api-keys", {"name": "root", "scopes": ["admin"]}, format="json",
                              **bearer(admin))
    assert allowed.status_code == 201
    assert [key.scopes for key in keys_named("root")] == [["admin"]]


def test_an_account_key_mints_nothing_even_with_billing_write(make_account, api_key_for, api_client):
    account = make_account()
    key = api_key_for(account, scopes=["billing:write", "usage:write"])
    response = api_client.post("/api/v1/api-keys", {"name": "x", "scopes": ["usage:write"], "account_id": account.pk},
                               format="json", **bearer(key))
    assert response.status_code == 403
    assert keys_named("x") == []
    with tenancy.operator_scope(), pytest.raises(BillingError):
        api_key_create(name="x", scopes=["usage:write"], account=account,
                       granted_by=ApiKey.objects.get(prefix=key.split("_")[1]))


def test_a_key_revokes_only_keys_whose_scopes_it_holds(make_account, api_key_for, api_client):
    writer = api_key_for(None, scopes=["billing:write", "usage:write"])
    with tenancy.operator_scope():
        stronger = api_key_create(name="root", scopes=["admin"]).api_key
        lesser = api_key_create(name="ingest", scopes=["usage:write"], account=make_account()).api_key
    refused = api_client.post(f"/api/v1/api-keys/{stronger.pk}/revoke", **bearer(writer))
    assert refused.status_code == 403 and "key_id" in refused.json()["error"]["fields"]
    allowed = api_client.post(f"/api/v1/api-keys/{lesser.pk}/revoke", **bearer(writer))
    assert allowed.status_code == 200 and allowed.json()["revoked_at"] is not None
    with tenancy.operator_scope():
        assert ApiKey.objects.get(pk=stronger.pk).revoked_at is None


# The console


def test_console_owners_mint_keys_of_their_own_account_only(make_account):
    account = make_account("Acme")
    owner = get_user_model().objects.create_user("alice", password="x")
    with tenancy.operator_scope():
        Membership.objects.create(account=account, user=owner, role=MembershipRole.OWNER)
    client = Client()
    client.force_login(owner)
    client.post("/console/api-keys/", {"name": "sneaky", "scopes": ["admin"]})
    assert keys_named("sneaky") == []
    client.post("/console/api-keys/", {"name": "ingest", "scopes": ["usage:write"]})
    [key] = keys_named("ingest")
    assert key.account_id == account.pk and key.scopes == ["usage:write"]
    # The service holds the line too, whatever a console form may send one day.
    with tenancy.operator_scope(), pytest.raises(BillingError):
        api_key_create(name="op", scopes=["usage:write"], account=None, created_by=owner)


# manage.py create_api_key


def test_create_api_key_prints_a_working_operator_key_once(api_client):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "--name", "first", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("bk_") and secret not in err.getvalue()
    [key] = keys_named("first")
    assert key.is_operator and key.scopes == ["billing:read", "billing:write", "usage:read", "usage:write"]
    assert api_client.get("/api/v1/plans", **bearer(secret)).status_code == 200
    call_command("create_api_key", "--name", "root", "--scopes", "admin", stdout=io.StringIO(), stderr=err)
    assert keys_named("root")[0].scopes == ["admin"]


def test_create_api_key_mints_account_keys_and_refuses_what_an_account_key_cannot_hold(make_account):
    account = make_account("Acme")
    out = io.StringIO()
    call_command("create_api_key", "--name", "acme ingest", "--account", str(account.pk), "--scopes", "usage:write",
                 stdout=out, stderr=io.StringIO())
    assert keys_named("acme ingest")[0].account_id == account.pk
    with pytest.raises(CommandError, match="admin scope"):
        call_command("create_api_key", "--name", "bad", "--account", str(account.pk), "--scopes", "admin",
                     stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No account"):
        call_command("create_api_key", "--name", "bad", "--account", "999999", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert keys_named("bad") == []
