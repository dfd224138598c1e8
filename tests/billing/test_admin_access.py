"""Finance staff in the admin work in the operator scope; viewers read, admins change."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def test_finance_admin_sees_every_account(make_account):
    make_account("Acme"), make_account("Globex")
    page = staff("fin", FINANCE_ADMIN).get("/admin/billing/account/")
    assert page.status_code == 200
    assert b"Acme" in page.content and b"Globex" in page.content


def test_finance_viewer_reads_but_cannot_change(make_account):
    account = make_account("Acme")
    client = staff("viewer", FINANCE_VIEWER)
    assert client.get(f"/admin/billing/account/{account.pk}/change/").status_code == 200
    response = client.post(f"/admin/billing/account/{account.pk}/change/", {"name": "Renamed"})
    assert response.status_code == 403
    assert client.get("/admin/billing/account/add/").status_code == 403


def test_nobody_edits_the_audit_trail_in_the_admin(make_account):
    make_account("Acme")
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    listing = client.get("/admin/billing/auditentry/")
    assert listing.status_code == 200 and b"account.created" in listing.content
    assert client.get("/admin/billing/auditentry/add/").status_code == 403


def test_creating_a_key_in_the_admin_shows_the_secret_once(make_account):
    account = make_account("Acme")
    client = staff("fin2", FINANCE_ADMIN)
    response = client.post("/admin/billing/apikey/add/", {"name": "ops", "account": account.pk,
                                                          "scopes": ["usage:write", "usage:read"]}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("bk_" in m for m in messages)


def test_a_non_staff_user_gets_no_admin_and_no_scope(make_account):
    make_account("Acme")
    user = get_user_model().objects.create_user("cust", password="x")
    client = Client()
    client.force_login(user)
    assert client.get("/admin/billing/account/").status_code == 302
