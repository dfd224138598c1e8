"""Every invoice of issue 18's list and a credit note against it, as the Factur-X XML inside the PDF and
as UBL, pass the official EN 16931 rules with no fatal assertion, and state the invoice's own totals."""

from decimal import Decimal as D

import pytest

from invoicing.einvoice import ATTACHMENT, einvoice_document, ubl_xml
from invoicing.services import credit_note_create
from invoicing.services.documents import credit_note_pdf_store
from pricing.money import to_major
from tests.invoicing.einvoice.cases import (
    CASES,
    billed,
    embedded_files,
    line_amounts,
    pdf_bytes,
    totals,
)
from tests.invoicing.einvoice_validation import fatal, fired_rules

pytestmark = pytest.mark.django_db


def both(document) -> dict[str, bytes]:
    return {"cii": embedded_files(pdf_bytes(document.pdf))[ATTACHMENT], "ubl": ubl_xml(einvoice_document(document))}


@pytest.mark.parametrize("name", CASES)
def test_the_invoice_passes_the_rules_and_states_its_own_totals(make_account, operator, name):
    case = CASES[name]
    invoice = billed(make_account(name), case)
    assert invoice.discount_total and invoice.credit_applied and invoice.amount_paid  # what the case is about
    major = lambda minor: to_major(minor, invoice.currency)  # noqa: E731
    for syntax, xml in both(invoice).items():
        assert fired_rules(xml, syntax) > 10, syntax  # the rules matched the document at all
        assert fatal(xml, syntax) == [], syntax
        assert totals(xml, syntax) == {
            "line_total": major(invoice.subtotal), "allowance_total": major(invoice.discount_total),
            "tax_total": major(invoice.tax_total), "grand_total": major(invoice.total),
            "prepaid": major(invoice.credit_applied + invoice.amount_paid), "due": major(invoice.amount_due)}, syntax
        assert sum(line_amounts(xml, syntax)) == major(sum(line.amount for line in invoice.lines.all()))
        assert f">{case.category}<" in xml.decode(), syntax


@pytest.mark.parametrize("name", CASES)
def test_a_credit_note_passes_the_rules_and_states_its_own_totals(make_account, operator, name):
    case = CASES[name]
    invoice = billed(make_account(name), case)
    gross = invoice.amount_due // 10 // 10 * 10  # a tenth of what is due, on whole tens of minor units
    note = credit_note_create(invoice=invoice, reason="Service outage", amount=gross)
    credit_note_pdf_store(credit_note_id=note.pk)
    note.refresh_from_db()
    major = lambda minor: to_major(minor, note.currency)  # noqa: E731
    for syntax, xml in both(note).items():
        assert fatal(xml, syntax) == [], syntax
        stated = totals(xml, syntax)
        assert stated["line_total"] == major(note.subtotal)
        assert stated["tax_total"] == major(note.tax_total)
        assert stated["grand_total"] == stated["due"] == major(note.total) == major(gross)
        assert ">381<" in xml.decode() and invoice.number in xml.decode()


def test_credit_notes_against_the_amount_due_count_as_paid_on_the_invoice(make_account, operator):
    from invoicing.services.documents import invoice_pdf_store

    invoice = billed(make_account("credited"), CASES["eur-french-buyer-vat-20"])
    credit_note_create(invoice=invoice, reason="Outage", amount=1000, credit_method="amount_due")
    invoice = invoice_pdf_store(invoice_id=invoice.pk, force=True)
    assert invoice.credited_total == 1000
    for syntax, xml in both(invoice).items():
        assert fatal(xml, syntax) == []
        stated = totals(xml, syntax)
        assert stated["prepaid"] == to_major(invoice.credit_applied + invoice.amount_paid + 1000, "EUR")
        assert stated["due"] == to_major(invoice.amount_due, "EUR") > D(0)


def test_an_operator_without_a_vat_id_issues_invoices_outside_the_scope_of_vat(make_account, operator, settings):
    settings.OPERATOR_COUNTRY = "US"
    settings.OPERATOR_TAX_ID = ""
    settings.OPERATOR_REGISTRATION_ID = "12-3456789"  # BT-30: with no VAT id, the seller's identifier
    invoice = billed(make_account("us-to-us"), CASES["usd-us-buyer-no-tax"])
    for syntax, xml in both(invoice).items():
        assert fatal(xml, syntax) == [], syntax
        text = xml.decode()
        assert ">O<" in text and "VATEX-EU-O" in text and "12-3456789" in text
        assert "Percent" not in text.split("TaxTotal")[-1]  # no rate for O (BR-O-05)


def test_an_eu_buyer_billed_without_a_rate_is_not_hidden_as_a_valid_e_invoice(make_account, operator):
    """A VAT-registered seller charging no VAT to an EU buyer with no reason: a missing tax rate. The
    e-invoice says so (category O, refused with the seller's VAT id) instead of passing as zero-rated."""
    invoice = billed(make_account("fr-without-rate"), CASES["eur-french-buyer-vat-20"].__class__(
        "EUR", "FR", "O", "100.00", "0.02", CASES["jpy"].coupon, 1000, 1000))
    assert invoice.tax_total == 0
    for syntax, xml in both(invoice).items():
        assert "BR-O-02" in {failed.id for failed in fatal(xml, syntax)}, syntax


def test_dinars_in_fils_are_written_exactly_though_en16931_allows_two_decimals(make_account, operator):
    """EN 16931 allows two decimals (BR-DEC-*); a dinar has three. An amount in single fils is written as
    it is (money is never rounded to please a validator) and the rules name the amount they refuse."""
    from tests.invoicing.einvoice.cases import Case

    invoice = billed(make_account("fils"), Case("BHD", "BH", "G", "10.005", "0.010", CASES["bhd"].coupon,
                                                1000, 1000))
    for syntax, xml in both(invoice).items():
        assert b">10.005<" in xml
        assert any(failed.id.startswith("BR-DEC-") for failed in fatal(xml, syntax)), syntax


def test_prices_that_include_vat_are_stated_net_with_the_invoices_tax_and_total(make_account, operator):
    """EN 16931 speaks net amounts: each line is what remains once its tax and its share of the coupon
    are taken off, so the VAT and the total stay the invoice's own."""
    from invoicing.models import TaxRate

    TaxRate.objects.create(name="TVA 20 % TTC", country="FR", percentage=20, inclusive=True)
    invoice = billed(make_account("ttc"), CASES["eur-french-buyer-vat-20"])
    assert all(line.tax_inclusive for line in invoice.lines.all()) and invoice.discount_total
    major = lambda minor: to_major(minor, "EUR")  # noqa: E731
    for syntax, xml in both(invoice).items():
        assert fatal(xml, syntax) == [], syntax
        stated = totals(xml, syntax)
        assert stated["tax_total"] == major(invoice.tax_total) and stated["grand_total"] == major(invoice.total)
        assert stated["line_total"] == sum(line_amounts(xml, syntax)) == major(invoice.total - invoice.tax_total)
        assert stated["due"] == major(invoice.amount_due) and stated["allowance_total"] == 0


@pytest.mark.parametrize(("iban", "means"), [("FR7630006000011234567890189", "58"), ("", None)])
def test_an_invoice_paid_by_transfer_names_the_account_it_is_paid_to(make_account, operator, settings, iban, means):
    settings.OPERATOR_IBAN, settings.OPERATOR_BIC = iban, "AGRIFRPP" if iban else ""
    invoice = billed(make_account(f"transfer {bool(iban)}"), CASES["eur-french-buyer-vat-20"],
                     collection_method="send_invoice")
    for syntax, xml in both(invoice).items():
        assert fatal(xml, syntax) == [], syntax
        text = xml.decode()
        assert (iban in text and "AGRIFRPP" in text and f">{means}<" in text) if iban else ("IBAN" not in text
                                                                                         and "FR76" not in text)
        assert "30 days net" in text  # the terms and due date in either case


def test_a_line_that_credits_has_a_negative_quantity_and_a_price_above_zero(make_account, operator):
    from invoicing.services import invoice_finalize
    from tests.invoicing.factories import draft, profile

    account = make_account("prorated")
    profile(account, country="US")
    invoice = invoice_finalize(invoice=draft(account, ("Pro plan", 1, "100.00"),
                                             ("Unused time on Basic", 1, "-20.00")))
    document = einvoice_document(invoice)
    credit = next(line for line in document.lines if line.net_amount < 0)
    assert (credit.quantity, credit.net_price, credit.net_amount) == (D(-1), D(20), D("-20.00"))
    xml = ubl_xml(document)
    assert fatal(xml, "ubl") == []
    assert totals(xml, "ubl")["grand_total"] == to_major(invoice.total, "USD") == D("80.00")
