"""A billing profile's tax id of a known type is checked offline (python-stdnum: format and check digits) and
stored compact, for the API and the console alike; the invoice language is one of en, fr, de."""

import pytest

from billing import tenancy
from billing.errors import ValidationFailed
from billing.models import BillingProfile
from billing.services import account_create, billing_profile_update
from billing.tax_ids import tax_id_checked

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tax_id, tax_id_type, country, stored", [
    ("FR 403 032 650 45", "eu_vat", "FR", "FR40303265045"),
    ("136695976", "eu_vat", "DE", "DE136695976"),  # typed without its prefix: the billing country's
    ("GB980780684", "gb_vat", "GB", "GB980780684"),
    ("04-2103594", "us_ein", "US", "042103594"),
    ("anything goes", "jp_cn", "JP", "anything goes"),  # a type we cannot check is kept as given
])
def test_known_types_are_checked_and_stored_compact(tax_id, tax_id_type, country, stored):
    assert tax_id_checked(tax_id=tax_id, tax_id_type=tax_id_type, country=country) == stored


@pytest.mark.parametrize("tax_id, reason", [("DE136695977", "check digit"), ("DE123", "length"),
                                            ("136695977", "check digit")])
def test_a_wrong_eu_vat_number_is_refused_naming_the_field(tax_id, reason):
    with pytest.raises(ValidationFailed) as refused:
        tax_id_checked(tax_id=tax_id, tax_id_type="eu_vat", country="DE")
    assert list(refused.value.fields) == ["tax_id"]
    assert "not a valid EU VAT number" in refused.value.fields["tax_id"][0] and reason in refused.value.fields["tax_id"][0]


def test_the_profile_service_checks_the_pair_whichever_half_changes():
    with tenancy.operator_scope():
        account = account_create(name="Tax Co")
        billing_profile_update(account=account, country="DE", tax_id="DE136695977")  # no type: not checked
        with pytest.raises(ValidationFailed) as refused:
            billing_profile_update(account=account, tax_id_type="eu_vat")  # the stored number with its new type
        assert "tax_id" in refused.value.fields
        assert BillingProfile.objects.get(account=account).tax_id_type == ""  # nothing written
        with pytest.raises(ValidationFailed) as language:
            billing_profile_update(account=account, preferred_language="es")
        assert list(language.value.fields) == ["preferred_language"]
        billing_profile_update(account=account, tax_id="de 136 695 976", tax_id_type="eu_vat",
                               preferred_language="de")
        profile = BillingProfile.objects.get(account=account)
        assert (profile.tax_id, profile.tax_id_type, profile.preferred_language) == ("DE136695976", "eu_vat", "de")
