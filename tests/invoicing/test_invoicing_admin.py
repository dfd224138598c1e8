"""Finance staff work invoices in the admin: lines inline, actions through the services."""

import pytest

from billing import tenancy
from billing.models import AuditEntry
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from invoicing.models import Invoice
from invoicing.services import invoice_finalize
from tests.helpers import staff
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(make_account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Admin Co")
    with tenancy.operator_scope():
        return draft(account, ("Plan", 1, "12.34")), invoice_finalize(invoice=draft(account, ("Plan", 1, "50")))


def action(client, name, ids, **fields):
    """The action as confirmed on its confirmation page (test_admin_money_actions.py walks the pages)."""
    return client.post("/admin/invoicing/invoice/", {"action": name, "_selected_action": ids, "_confirm": "1",
                                                     "reason": "Month-end review", **fields}, follow=True)


def test_finance_admin_finalizes_adds_lines_and_marks_paid(invoices):
    drafted, opened = invoices
    client = staff("fin", FINANCE_ADMIN)
    page = client.get(f"/admin/invoicing/invoice/{drafted.pk}/change/")
    assert page.status_code == 200 and b"12.34" in page.content
    action(client, "add_line", [drafted.pk], description="Setup", unit_price="10", quantity="2")
    action(client, "finalize", [drafted.pk])
    action(client, "mark_paid", [opened.pk], reference="SEPA-42")
    with tenancy.operator_scope():
        drafted.refresh_from_db()
        opened.refresh_from_db()
        assert (drafted.status, drafted.subtotal) == ("open", 3234)
        assert (opened.status, opened.payment_reference) == ("paid", "SEPA-42")
        assert AuditEntry.objects.filter(action="invoice.marked_paid", actor_type="user").exists()
    pdf = client.get(f"/admin/invoicing/invoice/{opened.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_illegal_action_shows_an_error_and_changes_nothing(invoices):
    drafted, _ = invoices
    response = action(staff("fin", FINANCE_ADMIN), "void", [drafted.pk], reason="oops")
    assert "Only open or uncollectible invoices can be voided; this one is draft." in response.content.decode()
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=drafted.pk).status == "draft"


def test_finance_viewer_cannot_act(invoices):
    _, opened = invoices
    client = staff("viewer", FINANCE_VIEWER)
    assert client.get("/admin/invoicing/invoice/").status_code == 200
    action(client, "mark_paid", [opened.pk], reference="x")
    with tenancy.operator_scope():
        assert Invoice.objects.get(pk=opened.pk).status == "open"


def test_bill_runs_tax_rates_and_credit_notes_pages_load(invoices):
    client = staff("fin", FINANCE_ADMIN)
    for url in ("/admin/invoicing/billrun/", "/admin/invoicing/taxrate/", "/admin/invoicing/creditnote/",
                "/admin/invoicing/taxrate/add/", "/admin/invoicing/customerinvoicing/", "/admin/invoicing/sentemail/"):
        assert client.get(url).status_code == 200, url
