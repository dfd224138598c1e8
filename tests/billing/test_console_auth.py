"""Console sign-in, CSRF, password change and reset, account switching, the scope it sets."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from billing import tenancy
from billing.models import ApiKey
from billing.services import membership_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_account):
    acme, globex = make_account("Acme"), make_account("Globex")
    user = get_user_model().objects.create_user("alice", "alice@example.com", "s3cret-pass")
    with tenancy.operator_scope():
        membership_add(account=acme, user=user, role="owner")
        membership_add(account=globex, user=user, role="viewer")
    return user, acme, globex


def test_sign_in_page_has_a_csrf_token_and_post_without_it_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/console/login/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    refused = client.post("/console/login/", {"username": "alice", "password": "s3cret-pass"})
    assert refused.status_code == 403


def test_sign_in_with_csrf_lands_on_the_first_account(alice):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/console/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = client.post("/console/login/", {"username": "alice", "password": "s3cret-pass",
                                               "csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_wrong_password_stays_on_the_sign_in_page(alice):
    response = Client().post("/console/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_console_pages_need_a_signed_in_user(db):
    response = Client().get("/console/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_switching_accounts_changes_the_scope(alice):
    user, acme, globex = alice
    client = Client()
    client.force_login(user)
    assert client.get("/console/").context["active_account"] == acme
    client.post("/console/accounts/switch/", {"account_id": globex.pk})
    assert client.get("/console/").context["active_account"] == globex


def test_switching_to_an_account_that_is_not_yours_is_404(alice, make_account):
    user, _, _ = alice
    stranger = make_account("Stranger")
    client = Client()
    client.force_login(user)
    assert client.post("/console/accounts/switch/", {"account_id": stranger.pk}).status_code == 404


def test_a_forged_session_account_falls_back_to_a_real_membership(alice, make_account):
    user, acme, _ = alice
    stranger = make_account("Stranger")
    client = Client()
    client.force_login(user)
    session = client.session
    session["active_account_id"] = stranger.pk
    session.save()
    assert client.get("/console/").context["active_account"] == acme


def test_a_user_without_accounts_sees_an_explanation(db):
    user = get_user_model().objects.create_user("lonely", password="x")
    client = Client()
    client.force_login(user)
    response = client.get("/console/")
    assert response.status_code == 403 and b"not a member" in response.content


def test_logout_is_a_post(alice):
    client = Client()
    client.force_login(alice[0])
    client.post("/console/logout/")
    assert client.get("/console/").status_code == 302


def test_password_change(alice):
    user, _, _ = alice
    client = Client()
    client.force_login(user)
    response = client.post("/console/password/change/", {
        "old_password": "s3cret-pass", "new_password1": "a-much-longer-pass-42", "new_password2": "a-much-longer-pass-42"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-longer-pass-42")


def test_password_reset_sends_a_working_link(alice):
    user, _, _ = alice
    client = Client()
    client.post("/console/password/reset/", {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/console/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "brand-new-pass-77",
                                                             "new_password2": "brand-new-pass-77"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-77")


def test_an_owner_creates_a_key_shown_once_and_revokes_it(alice):
    user, acme, _ = alice
    client = Client()
    client.force_login(user)
    page = client.post("/console/api-keys/", {"name": "prod ingest", "scopes": ["usage:write"]}, follow=True)
    secret = page.context["new_secret"]
    assert secret.startswith("bk_") and secret.encode() in page.content
    assert secret.encode() not in client.get("/console/api-keys/").content
    with tenancy.operator_scope():
        key = ApiKey.objects.get(name="prod ingest")
    assert key.account_id == acme.pk
    client.post(f"/console/api-keys/{key.pk}/revoke/")
    with tenancy.operator_scope():
        key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_viewer_cannot_create_keys(alice):
    user, _, globex = alice
    client = Client()
    client.force_login(user)
    client.post("/console/accounts/switch/", {"account_id": globex.pk})
    assert client.post("/console/api-keys/", {"name": "x", "scopes": ["usage:write"]}).status_code == 403
