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


def _form_fields(html: str) -> dict:
    """The values a browser would send for the admin change form (inputs, selects, textareas)."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.select, self.textarea = {}, None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            name = a.get("name")
            if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") == "checkbox":
                    if "checked" in a:
                        self.data[name] = a.get("value", "on")
                else:
                    self.data[name] = a.get("value", "")
            elif tag == "select" and name:
                self.select = name
                self.data.setdefault(name, "")
            elif tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")
            elif tag == "textarea" and name:
                self.textarea = name
                self.data[name] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data

    parser = Form()
    parser.feed(html)
    return parser.data


def test_memberships_edited_inline_in_the_admin_are_audited(make_account):
    from billing.models import AuditEntry, Membership
    from billing.tenancy import operator_scope

    account = make_account("Acme")
    carol = get_user_model().objects.create_user("carol", password="x")
    client = staff("fin3", FINANCE_ADMIN)
    url = f"/admin/billing/account/{account.pk}/change/"
    data = _form_fields(client.get(url).content.decode())
    prefix = next(k[:-len("-TOTAL_FORMS")] for k in data if k.endswith("-TOTAL_FORMS") and "membership" in k)
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update({f"{prefix}-TOTAL_FORMS": str(index + 1), f"{prefix}-{index}-user": str(carol.pk),
                 f"{prefix}-{index}-role": "billing_manager", f"{prefix}-{index}-account": str(account.pk)})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with operator_scope():
        membership = Membership.objects.get(account=account, user=carol)
        assert AuditEntry.objects.filter(action="membership.added", object_id=str(membership.pk)).exists()

    data = _form_fields(client.get(url).content.decode())
    row = next(k.split("-")[1] for k, v in data.items() if k.startswith(f"{prefix}-") and k.endswith("-id")
               and v == str(membership.pk))
    data[f"{prefix}-{row}-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    with operator_scope():
        assert not Membership.objects.filter(pk=membership.pk).exists()
        assert AuditEntry.objects.filter(action="membership.removed", object_id=str(membership.pk)).exists()
