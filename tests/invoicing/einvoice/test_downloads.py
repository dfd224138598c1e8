"""The UBL e-invoice where people fetch it: the API (account and operator keys, 404 for drafts and other
accounts), the console's invoice page and the admin (a link, and an action over several)."""

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from lxml import etree

from billing import tenancy
from billing.roles import FINANCE_VIEWER
from billing.services import membership_add
from invoicing.models import TaxRate
from invoicing.services import credit_note_create, invoice_finalize
from tests.helpers import staff
from tests.invoicing.einvoice_validation import fatal
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db
INVOICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
CREDIT_NOTE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"


@pytest.fixture
def invoices(make_account, api_key_for):
    mine, theirs = make_account("Mine"), make_account("Theirs")
    with tenancy.operator_scope():
        TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=20)
        profile(mine)
        profile(theirs)
        own = invoice_finalize(invoice=draft(mine, ("Plan", 1, "20")))
        note = credit_note_create(invoice=own, reason="Outage", amount=500)
        other = invoice_finalize(invoice=draft(theirs))
        other_note = credit_note_create(invoice=other, reason="Outage", amount=500)
        drafted = draft(mine, ("Plan", 1, "30"))
    return {"mine": mine, "own": own, "note": note, "other": other, "other_note": other_note, "draft": drafted,
            "reader": api_key_for(mine, ["billing:read"]), "operator": api_key_for(None, ["billing:read"])}


def get(api_client, key, url):
    if key:
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client.get(url)


def test_an_account_key_downloads_its_invoice_and_credit_note_as_ubl(api_client, invoices):
    response = get(api_client, invoices["reader"], f"/api/v1/invoices/{invoices['own'].pk}/ubl")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    assert f'filename="{invoices["own"].number}.xml"' in response["Content-Disposition"]
    assert etree.fromstring(response.content).tag == INVOICE_ROOT
    assert fatal(response.content, "ubl") == []
    note = get(api_client, invoices["reader"], f"/api/v1/credit-notes/{invoices['note'].pk}/ubl")
    assert note.status_code == 200 and etree.fromstring(note.content).tag == CREDIT_NOTE_ROOT
    assert invoices["own"].number.encode() in note.content  # BT-25, the invoice it credits
    assert fatal(note.content, "ubl") == []


def test_drafts_other_accounts_and_no_key_get_no_ubl(api_client, invoices):
    reader = invoices["reader"]
    assert get(api_client, reader, f"/api/v1/invoices/{invoices['draft'].pk}/ubl").status_code == 404
    assert get(api_client, reader, f"/api/v1/invoices/{invoices['other'].pk}/ubl").status_code == 404
    assert get(api_client, reader, f"/api/v1/credit-notes/{invoices['other_note'].pk}/ubl").status_code == 404
    assert get(api_client, reader, "/api/v1/invoices/999999999/ubl").status_code == 404
    api_client.credentials()
    assert api_client.get(f"/api/v1/invoices/{invoices['own'].pk}/ubl").status_code == 401


def test_an_operator_key_downloads_any_accounts_ubl(api_client, invoices):
    operator = invoices["operator"]
    assert get(api_client, operator, f"/api/v1/invoices/{invoices['other'].pk}/ubl").status_code == 200
    assert get(api_client, operator, f"/api/v1/credit-notes/{invoices['other_note'].pk}/ubl").status_code == 200
    assert get(api_client, operator, f"/api/v1/invoices/{invoices['draft'].pk}/ubl").status_code == 404


def test_the_console_invoice_page_links_its_ubl(invoices):
    user = get_user_model().objects.create_user("ubl-reader", password="x")
    with tenancy.operator_scope():
        membership_add(account=invoices["mine"], user=user, role="viewer")
    client = Client()
    client.force_login(user)
    own = invoices["own"]
    page = client.get(f"/console/invoices/{own.pk}/").content.decode()
    assert f'href="/console/invoices/{own.pk}/ubl"' in page
    download = client.get(f"/console/invoices/{own.pk}/ubl")
    assert download.status_code == 200 and etree.fromstring(download.content).tag == INVOICE_ROOT
    assert client.get(f"/console/invoices/{invoices['other'].pk}/ubl").status_code == 404
    assert client.get(f"/console/invoices/{invoices['draft'].pk}/ubl").status_code == 404


def test_finance_downloads_one_ubl_or_a_zip_of_several_from_the_admin(invoices):
    client = staff("ubl-viewer", FINANCE_VIEWER)
    own, other = invoices["own"], invoices["other"]
    assert f"/admin/invoicing/invoice/{own.pk}/ubl/" in client.get(
        f"/admin/invoicing/invoice/{own.pk}/change/").content.decode()
    one = client.get(f"/admin/invoicing/invoice/{own.pk}/ubl/")
    assert one.status_code == 200 and etree.fromstring(one.content).tag == INVOICE_ROOT
    several = client.post("/admin/invoicing/invoice/", {"action": "download_ubl",
                                                         "_selected_action": [own.pk, other.pk]})
    assert several["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(several.content)).namelist()
    assert sorted(names) == sorted([f"{own.number}.xml", f"{other.number}.xml"])
    notes = client.post("/admin/invoicing/creditnote/", {"action": "download_ubl",
                                                         "_selected_action": [invoices["note"].pk]})
    assert etree.fromstring(notes.content).tag == CREDIT_NOTE_ROOT
    assert client.get(f"/admin/invoicing/invoice/{invoices['draft'].pk}/ubl/").status_code == 404
