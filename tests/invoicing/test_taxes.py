"""Tax from the billing address: rates by country and region, inclusive or exclusive,
exempt accounts, EU reverse charge; computed per line, shown per rate."""

from decimal import Decimal as D

import pytest

from invoicing.models import TaxRate
from invoicing.services import customer_invoicing_update, invoice_discount_add, invoice_finalize
from invoicing.taxes import (
    EXPORT_NOTE,
    REVERSE_CHARGE_NOTE,
    RateTerms,
    TaxPlace,
    line_tax,
    treatment_for,
)
from tests.invoicing.factories import draft, profile

RATES = [RateTerms(1, "TVA", "FR", "", D(20), False), RateTerms(2, "CA sales tax", "US", "CA", D("7.25"), False),
         RateTerms(3, "MwSt", "DE", "", D(19), True)]


def test_region_rate_wins_over_the_country_and_nothing_matches_elsewhere():
    assert treatment_for(TaxPlace("US", "ca"), operator_country="FR", rates=RATES).rate_id == 2
    assert treatment_for(TaxPlace("US", "NY"), operator_country="US", rates=RATES).kind == "none"
    assert treatment_for(TaxPlace("FR", "IDF"), operator_country="FR", rates=RATES).rate_id == 1


def test_an_eu_operators_customer_outside_the_eu_pays_no_vat_and_the_invoice_says_why():
    export = treatment_for(TaxPlace("US", "NY"), operator_country="FR", rates=RATES)
    assert (export.kind, export.percentage, export.note) == ("export", 0, EXPORT_NOTE)
    assert treatment_for(TaxPlace("", ""), operator_country="FR", rates=RATES).kind == "none"  # no address: unknown
    assert treatment_for(TaxPlace("JP"), operator_country="US", rates=RATES).kind == "none"  # not an EU operator


def test_eu_reverse_charge_needs_a_valid_vat_number_in_another_member_state():
    german_business = TaxPlace("DE", tax_id="DE136695976")
    treatment = treatment_for(german_business, operator_country="FR", rates=RATES)
    assert (treatment.kind, treatment.percentage, treatment.note) == ("reverse_charge", 0, REVERSE_CHARGE_NOTE)
    assert treatment_for(TaxPlace("DE", tax_id="DE123"), operator_country="FR", rates=RATES).rate_id == 3
    assert treatment_for(TaxPlace("DE"), operator_country="FR", rates=RATES).rate_id == 3  # a consumer
    domestic = TaxPlace("FR", tax_id="FR40303265045")
    assert treatment_for(domestic, operator_country="FR", rates=RATES).rate_id == 1
    assert treatment_for(german_business, operator_country="US", rates=RATES).rate_id == 3


def test_exempt_accounts_pay_no_tax():
    treatment = treatment_for(TaxPlace("FR", exempt=True, exempt_reason="Non-profit"), operator_country="FR",
                              rates=RATES)
    assert (treatment.kind, treatment.percentage, treatment.note) == ("exempt", 0, "Non-profit")


def test_line_tax_rounds_half_up_once():
    assert line_tax(1005, D(20), False) == 201
    assert line_tax(12, D("7.25"), False) == 1  # 0.87
    assert line_tax(11900, D(19), True) == 1900  # contained in a gross amount
    assert line_tax(-1005, D(20), False) == -201


@pytest.fixture
def rates(operator, settings):
    settings.OPERATOR_COUNTRY = "FR"
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))
    TaxRate.objects.create(name="MwSt 19 %", country="DE", percentage=D(19), inclusive=True)


@pytest.mark.django_db
def test_an_invoice_shows_tax_per_line_and_per_rate_after_discounts(make_account, rates):
    account = make_account("Lyon SARL")
    profile(account, country="FR")
    invoice = draft(account, ("Plan", 1, "99.99"), ("Seats", 3, "10.00"), currency="EUR")
    invoice_discount_add(invoice=invoice, description="10 %", percent_off="10")
    invoice = invoice_finalize(invoice=invoice)
    lines = list(invoice.lines.order_by("position"))
    assert [(line.amount, line.discount_amount, line.tax_amount) for line in lines] == [
        (9999, 1000, 1800),  # 89.99 x 20 % = 17.998 -> 18.00
        (3000, 300, 540),
    ]
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (12999, 1300, 2340, 14039)
    assert invoice.tax_breakdown == [{"name": "TVA 20 %", "percentage": "20.0000", "inclusive": False,
                                      "kind": "rate", "taxable": 11699, "tax": 2340}]


@pytest.mark.django_db
def test_inclusive_rates_are_contained_in_the_total(make_account, rates):
    account = make_account("Berlin GmbH")
    profile(account, country="DE", city="Berlin")
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "119.00"), currency="EUR"))
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (11900, 1900, 11900)
    assert invoice.tax_breakdown[0]["taxable"] == 10000


@pytest.mark.django_db
def test_reverse_charge_and_exempt_invoices_carry_their_note(make_account, rates):
    business = make_account("Munich AG")
    profile(business, country="DE", tax_id="DE136695976")
    invoice = invoice_finalize(invoice=draft(business, currency="EUR"))
    assert (invoice.tax_total, invoice.total, invoice.tax_note) == (0, 10000, REVERSE_CHARGE_NOTE)
    assert invoice.tax_breakdown[0]["kind"] == "reverse_charge"
    charity = make_account("Charity")
    profile(charity, country="FR")
    customer_invoicing_update(account=charity, tax_exempt=True, tax_exempt_reason="Article 261-7 CGI")
    invoice = invoice_finalize(invoice=draft(charity, currency="EUR"))
    assert (invoice.tax_total, invoice.tax_note) == (0, "Article 261-7 CGI")
