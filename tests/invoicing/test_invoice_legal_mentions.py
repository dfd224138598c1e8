"""Invoices and credit notes an accountant accepts: for each kind of buyer and currency, the rendered PDF
(WeasyPrint), read back with pypdf, carries the seller's and buyer's legal identity, lines that can be
redone from the page, tax by line and by rate with the reason for every zero rate, the French late-payment
mentions, amounts in each currency's own digits, and the corrected invoice on its credit note."""

import io
import re
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from billing import clock
from billing.display import Display
from billing.models import BillableMetric
from billing.services.customers import credit_grant
from invoicing.documents.render import credit_note_pdf, invoice_pdf
from invoicing.models import TaxRate
from invoicing.services import (
    credit_note_create,
    invoice_create_draft,
    invoice_finalize,
    invoice_record_payment,
)
from pricing import Charge, Coupon, InvoiceInput, Period, Recurring, price_invoice
from tests.invoicing.factories import profile, utc

pytestmark = pytest.mark.django_db

SELLER = ["Example SaaS SAS", "SAS au capital de 10 000 €", "1 Example Street", "75001 Paris", "France",
          "RCS Paris 303 265 045", "FR40303265045", "FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP"]
FRENCH_LATE_PAYMENT = ["three times the French legal interest rate", "€40", "L441-10", "D441-5",
                       "No discount for early payment"]


def flat(text: str) -> str:
    """The PDF's text with every run of spaces (line breaks, no-break spaces) as one space: a mention that
    wraps in its cell still reads as written."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def pdf_text(content: bytes) -> str:
    return flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


@pytest.fixture
def seller(settings):
    settings.OPERATOR_NAME, settings.OPERATOR_LEGAL_NAME = "Example SaaS", "Example SaaS SAS"
    settings.OPERATOR_LEGAL_FORM = "SAS au capital de 10 000 €"
    settings.OPERATOR_ADDRESS, settings.OPERATOR_POSTAL_CODE, settings.OPERATOR_CITY = "1 Example Street", "75001", "Paris"
    settings.OPERATOR_COUNTRY, settings.OPERATOR_TAX_ID = "FR", "FR40303265045"
    settings.OPERATOR_REGISTRATION_ID = "RCS Paris 303 265 045"
    settings.OPERATOR_IBAN, settings.OPERATOR_BIC = "FR7630006000011234567890189", "AGRIFRPP"
    settings.OPERATOR_LATE_PAYMENT_TERMS = ""


@dataclass(frozen=True)
class Case:
    currency: str
    buyer: dict  # billing profile fields
    flat: str  # the plan's fee, major units
    token_price: str  # per 1,000 tokens
    coupon_off: int  # minor units
    credit: int
    paid: int
    tax_words: list  # what the tax summary must say


CASES = {
    "usd-us-buyer": Case("USD", {"legal_name": "Acme Corp", "address_line1": "500 Main Street", "city": "Austin",
                                  "state": "TX", "postal_code": "78701", "country": "US", "tax_id": "12-3456789"},
                         "49.00", "0.01", 500, 1000, 2000, ["Export outside the EU — VAT not applicable"]),
    "eur-french-buyer": Case("EUR", {"legal_name": "Lyon Conseil SARL", "address_line1": "3 quai Perrache",
                                      "city": "Lyon", "postal_code": "69002", "country": "FR",
                                      "tax_id": "FR40303265045"},
                             "49.00", "0.01", 500, 1000, 2000, ["TVA 20 %", "20%"]),
    "eur-german-business": Case("EUR", {"legal_name": "Berlin Daten GmbH", "address_line1": "Unter den Linden 5",
                                         "city": "Berlin", "postal_code": "10117", "country": "DE",
                                         "tax_id": "DE136695976"},
                                "49.00", "0.01", 500, 1000, 2000,
                                ["Reverse charge", "Article 196", "2006/112/EC", "0%"]),
    "eur-swiss-buyer": Case("EUR", {"legal_name": "Genève Logiciels SA", "address_line1": "Rue du Rhône 1",
                                     "city": "Genève", "postal_code": "1204", "country": "CH",
                                     "tax_id": "CHE-116.281.710"},
                            "49.00", "0.01", 500, 1000, 2000, ["Export outside the EU — VAT not applicable", "0%"]),
    "jpy-japanese-buyer": Case("JPY", {"legal_name": "Tokyo Data KK", "address_line1": "1-1 Marunouchi",
                                        "city": "Tokyo", "postal_code": "100-0005", "country": "JP"},
                               "5000", "1", 500, 1000, 2000, ["Export outside the EU — VAT not applicable"]),
    "bhd-bahraini-buyer": Case("BHD", {"legal_name": "Manama Cloud WLL", "address_line1": "Road 2803",
                                        "city": "Manama", "postal_code": "428", "country": "BH"},
                               "19.500", "0.004", 500, 1000, 2000, ["Export outside the EU — VAT not applicable"]),
}


def renewal(account, case: Case):
    """A renewal as a bill run makes it: the plan's fee for February in advance, January's tokens in arrears
    (3,500,000 with 1,000,000 included, priced per 1,000), and a coupon."""
    BillableMetric.objects.get_or_create(code="llm_tokens", defaults={"name": "LLM tokens", "unit": "token",
                                                                      "aggregation": "sum", "field_name": "tokens"})
    tokens = Charge("llm_tokens", "standard", unit_price=D(case.token_price), block_size=D(1000),
                    free_units=D(1_000_000), name="llm_tokens")
    priced = price_invoice(InvoiceInput(
        currency=case.currency, recurring=Recurring(flat_price=D(case.flat), plan_name="Standard"),
        advance_period=Period(utc(2026, 2, 1), utc(2026, 3, 1)), charges=(tokens,),
        usage={("llm_tokens", ""): D(3_500_000)}, usage_period=Period(utc(2026, 1, 1), utc(2026, 2, 1))))
    return invoice_create_draft(account=account, currency=case.currency, priced=priced,
                                coupons=(Coupon("WELCOME", amount_off=case.coupon_off, description="Welcome offer"),),
                                period_start=utc(2026, 1, 1), period_end=utc(2026, 3, 1))


@pytest.fixture
def rates(operator):
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))


@pytest.mark.parametrize("name", list(CASES))
def test_invoice_and_credit_note_carry_every_legal_mention(name, make_account, operator, seller, rates):
    case = CASES[name]
    d = Display("en")
    money = lambda minor: flat(d.money(minor, case.currency))  # noqa: E731
    account = make_account(case.buyer["legal_name"])
    profile(account, currency=case.currency, **case.buyer)
    credit_grant(account=account, amount=case.credit, currency=case.currency, reason="Goodwill")
    with clock.frozen(utc(2026, 2, 1, 9)):
        invoice = invoice_finalize(invoice=renewal(account, case))
        invoice = invoice_record_payment(invoice=invoice, amount=case.paid, payment_reference=f"pi_{name}")
    assert invoice.status == "open" and invoice.credit_applied == case.credit and invoice.amount_paid == case.paid

    text = pdf_text(invoice_pdf(invoice))

    buyer = case.buyer
    for expected in (*SELLER, *FRENCH_LATE_PAYMENT, invoice.number, "February 1, 2026",
                     buyer["legal_name"], buyer["address_line1"], buyer["city"], buyer["postal_code"],
                     buyer.get("tax_id", buyer["legal_name"]),
                     # lines that can be redone: names, units, the price with its block, what was included, when
                     "Standard", "LLM tokens", "3,500,000 token", "1,000,000 token included",
                     f"{flat(d.unit_price(D(case.token_price), case.currency))} per 1,000 token",
                     "February 1, 2026 – February 28, 2026", "in advance",
                     "January 1, 2026 – January 31, 2026", "in arrears",
                     "Tax summary", "Taxable amount", *case.tax_words,
                     "Discount: Welcome offer", money(case.coupon_off),
                     f"Total excl. tax {money(invoice.total - invoice.tax_total)}", "Credit applied", money(case.credit),
                     "Paid", money(case.paid), "Amount due", money(invoice.amount_due), money(invoice.total),
                     "Page 1 of 1"):
        assert expected in text, f"{expected!r} missing from {text!r}"
    assert "llm_tokens" not in text  # the metric's name, never its code
    if name == "eur-french-buyer":
        assert invoice.tax_total and money(invoice.tax_total) in text
    else:
        assert invoice.tax_total == 0

    with clock.frozen(utc(2026, 2, 10, 9)):
        note = credit_note_create(invoice=invoice, reason="Service outage", amount=invoice.total // 4)
    note_text = pdf_text(credit_note_pdf(note))
    for expected in (*SELLER[:-2], note.number, f"Corrects invoice {invoice.number} of February 1, 2026",
                     "Service outage", buyer["legal_name"], buyer["address_line1"], "Tax summary",
                     *case.tax_words, "LLM tokens", money(note.total)):
        assert expected in note_text, f"{expected!r} missing from {note_text!r}"
    assert "llm_tokens" not in note_text


@pytest.mark.parametrize(("currency", "price", "amount", "wrong"), [
    ("JPY", "1000", "¥1,000", r"¥[\d,]+\.\d"),  # yen have no decimals
    ("BHD", "1.5", "BHD 1.500", r"BHD [\d,]+\.\d\d(?!\d)"),  # dinars have three
])
def test_amounts_and_unit_prices_use_the_currency_digits(make_account, operator, seller, currency, price, amount,
                                                         wrong):
    from tests.invoicing.factories import draft

    account = make_account(f"Digits {currency}")
    profile(account, currency=currency, country="JP" if currency == "JPY" else "BH")
    invoice = invoice_finalize(invoice=draft(account, ("Setup", 3, price), currency=currency))
    text = pdf_text(invoice_pdf(invoice))
    assert amount in text
    assert not re.search(wrong, text), text


def test_the_zero_rate_of_an_exempt_customer_states_its_reason(make_account, operator, seller, rates):
    from invoicing.services import customer_invoicing_update
    from tests.invoicing.factories import draft

    account = make_account("Charity")
    profile(account, currency="EUR")
    customer_invoicing_update(account=account, tax_exempt=True, tax_exempt_reason="Article 261-7 of the CGI")
    text = pdf_text(invoice_pdf(invoice_finalize(invoice=draft(account, currency="EUR"))))
    assert "Exempt" in text and "0%" in text and "Article 261-7 of the CGI" in text


def test_a_seller_with_its_own_late_payment_terms_prints_them_instead(make_account, operator, seller, settings):
    from tests.invoicing.factories import draft

    settings.OPERATOR_LATE_PAYMENT_TERMS = "Late payments bear interest at 9 points above the base rate."
    account = make_account("Terms")
    profile(account, currency="USD", country="US")
    text = pdf_text(invoice_pdf(invoice_finalize(invoice=draft(account))))
    assert "9 points above the base rate" in text and "L441-10" not in text


def test_a_french_reader_gets_the_mandatory_mentions_in_french(make_account, operator, seller, rates):
    case = CASES["eur-french-buyer"]
    account = make_account("Client français")
    profile(account, currency="EUR", preferred_language="fr", **case.buyer)
    with clock.frozen(utc(2026, 2, 1, 9)):
        invoice = invoice_finalize(invoice=renewal(account, case))
    text = pdf_text(invoice_pdf(invoice))
    for expected in ("Facture", "N° de TVA intracommunautaire: FR40303265045", "Immatriculation: RCS Paris",
                     "Pénalités de retard : trois fois le taux d’intérêt légal",
                     "indemnité forfaitaire pour frais de recouvrement : 40 €", "Pas d’escompte pour paiement anticipé",
                     "terme à échoir", "terme échu", "1 000 000 token inclus", "0,01 € par 1 000 token",
                     "Récapitulatif des taxes", "Base imposable", "TVA 20 %", "Total HT 69,00 €", "Page 1 sur 1"):
        assert expected in text, f"{expected!r} missing from {text!r}"
    with clock.frozen(utc(2026, 2, 10, 9)):
        note = credit_note_create(invoice=invoice, reason="Panne", amount=1000)
    assert f"Rectifie la facture {invoice.number} du 1 février 2026" in pdf_text(credit_note_pdf(note))
