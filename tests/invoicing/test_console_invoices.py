"""Customers see their invoices in the console: list, detail, PDF with ETag; never another account's."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import tenancy
from billing.services import membership_add
from invoicing.services import invoice_finalize
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(make_account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    mine, theirs = make_account("Mine Ltd"), make_account("Theirs Ltd")
    user = get_user_model().objects.create_user("alice", password="x")
    with tenancy.operator_scope():
        membership_add(account=mine, user=user, role="owner")
        own = invoice_finalize(invoice=draft(mine, ("Plan", 1, "42")))
        hidden = draft(mine)
        other = invoice_finalize(invoice=draft(theirs))
    client = Client()
    client.force_login(user)
    return client, own, hidden, other


def test_the_list_shows_the_accounts_finalized_invoices(console):
    client, own, hidden, other = console
    page = client.get("/console/invoices/")
    assert page.status_code == 200
    content = page.content.decode()
    assert own.number in content and "$42.00" in content
    assert other.number not in content and f"/console/invoices/{hidden.pk}/" not in content


def test_detail_and_pdf_with_etag(console):
    client, own, hidden, other = console
    assert "Plan" in client.get(f"/console/invoices/{own.pk}/").content.decode()
    pdf = client.get(f"/console/invoices/{own.pk}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/console/invoices/{own.pk}/pdf", HTTP_IF_NONE_MATCH=pdf["ETag"]).status_code == 304
    assert client.get(f"/console/invoices/{other.pk}/").status_code == 404
    assert client.get(f"/console/invoices/{other.pk}/pdf").status_code == 404
    assert client.get(f"/console/invoices/{hidden.pk}/").status_code == 404
