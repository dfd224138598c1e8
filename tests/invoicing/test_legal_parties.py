"""Seller and buyer as a document states them (invoicing.legal): frozen when the invoice is finalized and the
credit note issued, read back the same way for the PDF and the e-invoices, whatever the settings say later;
and money formatted by one helper wherever a person reads it."""

from decimal import Decimal as D

import pytest

from billing.admin.money import show_money, show_unit_price
from billing.display import Display
from invoicing.documents import formatting as fmt
from invoicing.legal import Party, credit_note_parties, invoice_parties, seller_from_snapshot
from invoicing.services import credit_note_create, invoice_finalize
from tests.helpers import settings_check
from tests.invoicing.factories import draft, profile


@pytest.mark.django_db
def test_the_parties_are_frozen_at_finalization_and_at_issue(make_account, operator, settings):
    settings.OPERATOR_LEGAL_NAME, settings.OPERATOR_REGISTRATION_ID = "Example SaaS SAS", "RCS Paris 303 265 045"
    settings.OPERATOR_ADDRESS, settings.OPERATOR_POSTAL_CODE, settings.OPERATOR_CITY = "1 Example Street", "75001", "Paris"
    settings.OPERATOR_COUNTRY, settings.OPERATOR_TAX_ID = "FR", "FR40303265045"
    settings.OPERATOR_IBAN, settings.OPERATOR_BIC = "FR7630006000011234567890189", "AGRIFRPP"
    account = make_account("Frozen")
    profile(account, legal_name="Frozen SARL", tax_id="FR59542051180")
    invoice = invoice_finalize(invoice=draft(account))

    settings.OPERATOR_LEGAL_NAME, settings.OPERATOR_IBAN = "Renamed SAS", "DE89370400440532013000"
    profile(account, legal_name="Renamed SARL", address_line1="2 avenue Foch")
    parties = invoice_parties(invoice)

    assert parties.seller == Party(
        name="Example SaaS SAS", address_lines=("1 Example Street",), postal_code="75001", city="Paris", country="FR",
        vat_id="FR40303265045", registration_id="RCS Paris 303 265 045", iban="FR76 3000 6000 0112 3456 7890 189",
        bic="AGRIFRPP")
    assert (parties.buyer.name, parties.buyer.address_lines, parties.buyer.vat_id) == (
        "Frozen SARL", ("1 rue de la Paix",), "FR59542051180")
    assert parties.buyer.printed_address("fr") == ["1 rue de la Paix", "75002 Paris", "France"]

    note = credit_note_create(invoice=invoice, reason="Goodwill", amount=1000)
    note_parties = credit_note_parties(note)
    # The seller as it is the day the note is issued; the buyer of the invoice the note corrects.
    assert note_parties.seller.name == "Renamed SAS" and note_parties.seller.iban.startswith("DE89")
    assert note_parties.buyer.name == "Frozen SARL"
    settings.OPERATOR_LEGAL_NAME = "Third SAS"
    note.refresh_from_db()
    assert credit_note_parties(note).seller.name == "Renamed SAS"


def test_a_snapshot_made_before_the_legal_settings_still_reads():
    seller = seller_from_snapshot({"name": "Example SaaS Ltd", "address": "1 Example Street, 75001 Paris, France",
                                   "tax_id": "FR40303265045", "country": "fr", "currency": "USD"})
    assert seller == Party(name="Example SaaS Ltd", address_lines=("1 Example Street, 75001 Paris, France",),
                           country="FR", vat_id="FR40303265045")
    assert seller_from_snapshot({"name": "X", "address": "Building A\n1 Example Street / Floor 3"}).address_lines == (
        "Building A", "1 Example Street", "Floor 3")


@pytest.mark.parametrize(("setting", "value"), [("OPERATOR_IBAN", "FR7630006000011234567890188"),
                                                ("OPERATOR_BIC", "AGRI")])
def test_a_wrong_iban_or_bic_is_refused_at_start_up(settings, setting, value):
    setattr(settings, setting, value)
    assert setting in settings_check("billing").get("billing.E005", "")


@pytest.mark.parametrize(("currency", "minor", "price", "amount", "unit_price"), [
    ("USD", 125000, "0.000010", "$1,250.00", "$0.00001"),
    ("JPY", 1000, "1000", "¥1,000", "¥1,000"),
    ("BHD", 1250, "1.5", "BHD\xa01.250", "BHD\xa01.500"),
])
def test_documents_emails_console_and_admin_format_money_alike(currency, minor, price, amount, unit_price):
    price = D(price)
    assert fmt.money(minor, currency, "en") == Display("en").money(minor, currency) == show_money(minor, currency) \
        == amount
    assert fmt.unit_price(price, currency, "en") == Display("en").unit_price(price, currency) \
        == show_unit_price(price, currency) == unit_price
