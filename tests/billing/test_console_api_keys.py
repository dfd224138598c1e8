"""The API keys page: created with POST-redirect-GET, so a refresh never creates another key; the secret
is shown once, to the account it was made for; owners only manage keys."""

import pytest

from billing import tenancy
from billing.models import ApiKey
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _keys(account):
    with tenancy.operator_scope():
        return list(ApiKey.objects.filter(account=account))


def test_creating_redirects_and_a_refresh_creates_no_second_key(world):  # noqa: F811
    client = signed_in(world.owner)
    response = client.post("/console/api-keys/", {"name": "ingest", "scopes": ["usage:write"]})
    assert response.status_code == 302 and response["Location"] == "/console/api-keys/"
    shown = client.get("/console/api-keys/")
    secret = shown.context["new_secret"]
    assert secret.startswith("bk_") and secret in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    refreshed = client.get("/console/api-keys/")  # what a browser's refresh of the shown page sends
    assert secret not in refreshed.content.decode()
    assert [key.name for key in _keys(world.acme)] == ["ingest"]


def test_the_secret_is_shown_only_in_the_account_it_was_made_for(world):  # noqa: F811
    from billing.services import membership_add

    with tenancy.operator_scope():
        membership_add(account=world.globex, user=world.owner, role="owner")
    client = signed_in(world.owner)
    client.post("/console/api-keys/", {"name": "acme key", "scopes": ["usage:read"]})
    client.post("/console/accounts/switch/", {"account_id": world.globex.pk})
    assert "Copy this key now" not in page_text(client.get("/console/api-keys/"))


def test_a_failed_form_says_what_to_fix_and_keeps_the_name(world):  # noqa: F811
    response = signed_in(world.owner).post("/console/api-keys/", {"name": "no scopes"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert 'value="no scopes"' in response.content.decode() and _keys(world.acme) == []


@pytest.mark.parametrize("role", ["billing_manager", "viewer"])
def test_only_owners_create_or_revoke(world, role):  # noqa: F811
    with tenancy.operator_scope():
        from billing.services import api_key_create

        key = api_key_create(name="existing", scopes=["usage:read"], account=world.acme, created_by=world.owner).api_key
    client = signed_in(world.user(role))
    assert client.post("/console/api-keys/", {"name": "x", "scopes": ["usage:read"]}).status_code == 403
    assert client.post(f"/console/api-keys/{key.pk}/revoke/").status_code == 403
    text = page_text(client.get("/console/api-keys/"))
    assert "existing" in text and "Create key" not in text and "Revoke" not in text


def test_another_accounts_key_cannot_be_revoked(world):  # noqa: F811
    with tenancy.operator_scope():
        from billing.services import api_key_create

        theirs = api_key_create(name="globex", scopes=["usage:read"], account=world.globex,
                                created_by=world.outsider).api_key
    assert signed_in(world.owner).post(f"/console/api-keys/{theirs.pk}/revoke/").status_code == 404
