"""The console's billing details page: owners and billing managers change the billing email and contacts, the
address, the tax id (checked: a wrong EU VAT number names the field and keeps what was typed), the invoice
language and the emails received, through one audited service; viewers read them."""

import re

import pytest

from billing import tenancy
from billing.models import AuditEntry, BillingProfile
from invoicing.models import CustomerInvoicing
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db

DETAILS = {
    "legal_name": "Acme Corporation SAS", "email": "ap@acme.example", "extra_recipients": "cfo@acme.example\nops@acme.example",
    "address_line1": "1 rue de la Paix", "address_line2": "", "city": "Paris", "state": "", "postal_code": "75002",
    "country": "FR", "tax_id_type": "eu_vat", "tax_id": "FR 403 032 650 45", "preferred_language": "fr",
    "emails": ["billing_invoice_generated", "billing_payment_failed", "billing_invoice_overdue"],
}


def profile_of(world):  # noqa: F811
    with tenancy.operator_scope():
        return BillingProfile.objects.get(account=world.acme)


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize("role", ["owner", "billing_manager"])
def test_owners_and_billing_managers_update_the_billing_details(world, role):  # noqa: F811
    client = signed_in(world.user(role))
    form = client.get("/console/billing/")
    assert form.status_code == 200 and 'name="tax_id"' in form.content.decode()
    assert '<a href="/console/billing/" aria-current="page">Billing details</a>' in form.content.decode()
    response = client.post("/console/billing/", DETAILS)
    assert response.status_code == 302 and response["Location"] == "/console/billing/"
    assert "Billing details saved." in page_text(client.get("/console/billing/"))
    profile = profile_of(world)
    assert (profile.legal_name, profile.email, profile.country, profile.preferred_language) == (
        "Acme Corporation SAS", "ap@acme.example", "FR", "fr")
    assert (profile.tax_id, profile.tax_id_type) == ("FR40303265045", "eu_vat")  # stored compact
    with tenancy.operator_scope():
        prefs = CustomerInvoicing.objects.get(account=world.acme)
        assert prefs.extra_recipients == ["cfo@acme.example", "ops@acme.example"]
        assert "billing_payment_succeeded" in prefs.email_opt_outs
        assert "billing_invoice_generated" not in prefs.email_opt_outs
        actions = set(AuditEntry.objects.filter(account_id=world.acme.pk).values_list("action", flat=True))
    assert {"billing_profile.updated", "customer_invoicing.updated"} <= actions
    again = client.get("/console/billing/").content.decode()  # the form shows what was saved
    assert value_of(again, "tax_id") == "FR40303265045" and "cfo@acme.example\nops@acme.example" in again


def test_a_wrong_eu_vat_number_names_the_field_keeps_what_was_typed_and_saves_nothing(world):  # noqa: F811
    before = profile_of(world)
    client = signed_in(world.owner)
    response = client.post("/console/billing/", {**DETAILS, "tax_id": "FR40303265046"})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'id="id_tax_id_errors".*?</div>', html, re.S).group(0)
    assert "This is not a valid EU VAT number" in errors
    assert value_of(html, "tax_id") == "FR40303265046" and value_of(html, "legal_name") == "Acme Corporation SAS"
    assert "cfo@acme.example" in html
    after = profile_of(world)
    assert (after.legal_name, after.tax_id) == (before.legal_name, before.tax_id)
    with tenancy.operator_scope():
        prefs = CustomerInvoicing.objects.filter(account=world.acme).first()
    assert prefs is None or prefs.extra_recipients == []


def test_every_wrong_field_is_told_at_once(world):  # noqa: F811
    response = signed_in(world.manager).post("/console/billing/", {
        **DETAILS, "email": "not an email", "extra_recipients": "cfo@acme.example\nnobody", "tax_id_type": "",
        "tax_id": "FR40303265045"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_tax_id_type_errors".*?Choose the type of this tax id', html, re.S)
    response = signed_in(world.manager).post("/console/billing/", {
        **DETAILS, "email": "not an email", "extra_recipients": "cfo@acme.example\nnobody"})
    html = response.content.decode()
    assert re.search(r'id="id_email_errors".*?Enter a valid email address', html, re.S)
    assert re.search(r'id="id_extra_recipients_errors".*?Not an email address: nobody', html, re.S)
    assert profile_of(world).email != "not an email"


def test_a_viewer_reads_the_details_and_is_refused_a_change(world):  # noqa: F811
    client = signed_in(world.viewer)
    page = client.get("/console/billing/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Legal name" in text and "Only owners and billing managers change the billing details." in text
    assert "<form method=\"post\" novalidate" not in page.content.decode()
    before = profile_of(world)
    assert client.post("/console/billing/", DETAILS).status_code == 403
    assert profile_of(world).legal_name == before.legal_name


def test_each_account_edits_only_its_own_details(world):  # noqa: F811
    before = profile_of(world)
    response = signed_in(world.outsider).post("/console/billing/", {**DETAILS, "legal_name": "Globex SA"})
    assert response.status_code == 302
    assert profile_of(world).legal_name == before.legal_name
    with tenancy.operator_scope():
        assert BillingProfile.objects.get(account=world.globex).legal_name == "Globex SA"
