"""One account's tax (`tax_treatment_for`) and many accounts' (`tax_contexts_for_many`, the bill run's and the
set-based finalization's) are decided by the same pure `customer_tax_treatment`; the many-path only reads in
batches, so for every kind of customer both give the same details, preferences and treatment."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from invoicing.customers import customer_details
from invoicing.models import TaxRate
from invoicing.selectors import invoicing_preferences, tax_contexts_for_many, tax_treatment_for
from invoicing.services import customer_invoicing_update
from invoicing.taxes import (
    EXPORT_NOTE,
    REVERSE_CHARGE_NOTE,
    RateTerms,
    TaxTreatment,
    customer_tax_treatment,
)
from tests.invoicing.factories import profile

RATES = [RateTerms(1, "TVA", "FR", "", D(20), False), RateTerms(2, "CA sales tax", "US", "CA", D("7.25"), False)]


def details(country, region="", tax_id=""):
    return SimpleNamespace(country=country, region=region, tax_id=tax_id)


def test_the_treatment_follows_address_tax_id_and_exemption():
    def treat(customer, prefs=None, operator_country="FR"):
        return customer_tax_treatment(customer, prefs, rates=RATES, operator_country=operator_country)

    assert treat(details("FR")) == TaxTreatment("rate", 1, "TVA", D(20), False)
    assert treat(details("US", "ca")).rate_id == 2 and treat(details("US", "NY")) == TaxTreatment(
        "export", name="VAT", note=EXPORT_NOTE)  # an EU operator's customer outside the EU: no VAT, and why
    assert treat(details("US", "NY"), operator_country="US").kind == "none"
    assert treat(details("DE", tax_id="DE136695976")) == TaxTreatment("reverse_charge", name="VAT",
                                                                      note=REVERSE_CHARGE_NOTE)
    assert treat(details("DE", tax_id="DE136695976"), operator_country="US").kind == "none"  # no DE rate given
    exempt = SimpleNamespace(tax_exempt=True, tax_exempt_reason="Non-profit")
    assert treat(details("FR"), exempt) == TaxTreatment("exempt", note="Non-profit")
    assert treat(details("FR"), SimpleNamespace(tax_exempt=False, tax_exempt_reason="")).rate_id == 1
    assert treat(details("")).kind == "none"  # no address: no rate matches


@pytest.mark.django_db
def test_one_account_and_many_accounts_get_the_same_tax(make_account, operator, settings):
    settings.OPERATOR_COUNTRY = "FR"
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))
    TaxRate.objects.create(name="CA sales tax", country="US", region="CA", percentage=D("7.25"))
    TaxRate.objects.create(name="MwSt 19 %", country="DE", percentage=D(19), inclusive=True)
    no_profile, french, californian, german_business, german_consumer, charity = (
        make_account(name) for name in ("Bare", "Lyon", "San Jose", "Berlin GmbH", "Berlin", "Charity"))
    profile(french, country="FR")
    profile(californian, country="US", state="ca")
    profile(german_business, country="DE", tax_id="DE136695976")
    profile(german_consumer, country="DE")
    profile(charity, country="FR")
    customer_invoicing_update(account=charity, tax_exempt=True, tax_exempt_reason="Article 261-7 CGI")
    accounts = [no_profile, french, californian, german_business, german_consumer, charity]

    many = tax_contexts_for_many(accounts)

    kinds = {}
    for account in accounts:
        account.refresh_from_db()  # no billing profile cached from the writes above
        details_, prefs, treatment = many[account.pk]
        assert treatment == tax_treatment_for(account), account.name
        assert details_ == customer_details(account) and prefs == invoicing_preferences(account)
        kinds[account.name] = (treatment.kind, treatment.name)
    assert kinds == {"Bare": ("none", ""), "Lyon": ("rate", "TVA 20 %"), "San Jose": ("rate", "CA sales tax"),
                     "Berlin GmbH": ("reverse_charge", "VAT"), "Berlin": ("rate", "MwSt 19 %"),
                     "Charity": ("exempt", "")}
