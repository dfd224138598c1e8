"""Once an account is invoiced, its currency cannot be blanked either (the next finalization would conflict)."""

import pytest

from billing.errors import ValidationFailed
from billing.models import BillingProfile
from billing.services import billing_profile_currency_lock, billing_profile_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("blank", ["", None])
def test_a_locked_currency_cannot_be_blanked(operator, make_account, blank):
    account = make_account()
    billing_profile_currency_lock(account_id=account.pk, currency="EUR")
    with pytest.raises(ValidationFailed) as exc:
        billing_profile_update(account=account, currency=blank, legal_name="Acme")
    assert "currency" in exc.value.fields
    profile = BillingProfile.objects.get(account=account)
    assert (profile.currency, profile.legal_name) == ("EUR", "")
    billing_profile_currency_lock(account_id=account.pk, currency="EUR")  # still finalizes


def test_before_the_first_invoice_the_currency_can_be_cleared(operator, make_account):
    account = make_account()
    billing_profile_update(account=account, currency="USD")
    assert billing_profile_update(account=account, currency="").currency == ""
