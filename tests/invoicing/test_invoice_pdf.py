"""PDFs rendered on commit, stored, re-rendered on status change, localized; text checked with pypdf."""

import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from billing import clock
from invoicing.models import TaxRate
from invoicing.services import (
    credit_note_create,
    invoice_create_draft,
    invoice_finalize,
    invoice_mark_paid,
)
from pricing import Charge, InvoiceInput, Period, Tier, price_invoice
from tests.invoicing.factories import draft, profile, utc

pytestmark = pytest.mark.django_db


def text(field) -> str:
    field.open("rb")
    try:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(field.read())).pages)
    finally:
        field.close()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.OPERATOR_COUNTRY = "FR"
    return tmp_path


def usage_invoice(account, currency="EUR"):
    charge = Charge("api_calls", "graduated", name="API calls",
                    tiers=(Tier(D(1000), D("0.01")), Tier(None, D("0.005"))))
    priced = price_invoice(InvoiceInput(currency=currency, charges=(charge,), usage={("api_calls", ""): D(1500)},
                                        usage_period=Period(utc(2026, 1, 1), utc(2026, 2, 1))))
    return invoice_create_draft(account=account, currency=currency, priced=priced)


def test_the_pdf_shows_parties_lines_tiers_tax_and_terms(make_account, operator, media,
                                                         django_capture_on_commit_callbacks):
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))
    account = make_account("Acme")
    profile(account, tax_id="FR40303265045")
    with clock.frozen(utc(2026, 2, 1, 9)), django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=usage_invoice(account))
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.pdf_status == "open" and invoice.pdf_etag
    content = text(invoice.pdf)
    for expected in (invoice.number, "Acme SAS", "1 rue de la Paix", "FR40303265045", "Example SaaS Ltd",
                     "API calls", "January 1, 2026", "January 31, 2026", "1,000", "€0.005", "TVA 20 %",
                     "€12.50", "€2.50", "€15.00", "Due date", "March 3, 2026", "30 days net"):
        assert expected in content, expected
    assert "PAID" not in content


def test_a_status_change_renders_it_again_with_the_paid_mark(make_account, operator, media,
                                                              django_capture_on_commit_callbacks):
    account = make_account("Globex")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=draft(account))
    invoice.refresh_from_db()
    first_etag, first_name = invoice.pdf_etag, invoice.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        invoice_mark_paid(invoice=invoice, reference="wire")
    invoice.refresh_from_db()
    assert invoice.pdf_status == "paid" and invoice.pdf_etag != first_etag
    assert "PAID" in text(invoice.pdf)
    assert not invoice.pdf.storage.exists(first_name)


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", ["Facture", "Date d’échéance", "1 janvier 2026", "12,50\xa0€"]),
    ("de", ["Rechnung", "Fälligkeitsdatum", "1. Januar 2026", "12,50\xa0€"]),
])
def test_pdfs_follow_the_customer_language(make_account, operator, media, django_capture_on_commit_callbacks,
                                           language, expected):
    account = make_account(f"Client {language}")
    profile(account, preferred_language=language, country="")
    with clock.frozen(utc(2026, 2, 1, 9)), django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=usage_invoice(account))
    invoice.refresh_from_db()
    content = text(invoice.pdf)
    for word in expected:
        assert word in content, word


def test_credit_notes_have_their_own_pdf(make_account, operator, media, django_capture_on_commit_callbacks):
    account = make_account("Initech")
    invoice = invoice_finalize(invoice=draft(account))
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_create(invoice=invoice, reason="Service outage", amount=2500)
    note.refresh_from_db()
    content = text(note.pdf)
    for expected in (note.number, invoice.number, "Service outage", "$25.00"):
        assert expected in content, expected
