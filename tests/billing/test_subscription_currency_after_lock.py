"""Once an account is invoiced in a currency, a new subscription in another one is refused (its invoices
could never be finalized)."""

import pytest

from billing.errors import ValidationFailed
from billing.services import billing_profile_currency_lock, plan_create, subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


def test_a_subscription_in_another_currency_than_the_invoiced_one_is_refused(operator, make_account):
    both = plan_create(code="both", name="Both", prices={"USD": {"flat_amount": 1_000, "seat_amount": None},
                                                          "EUR": {"flat_amount": 900, "seat_amount": None}})
    account = make_account()
    billing_profile_currency_lock(account_id=account.pk, currency="EUR")
    with pytest.raises(ValidationFailed) as exc:
        subscription_create(account=account, plan=both, currency="USD")
    assert "currency" in exc.value.fields
    assert subscription_create(account=account, plan=both).currency == "EUR"
    assert subscription_create(account=account, plan=both, currency="eur").currency == "EUR"


def test_before_the_first_invoice_any_sold_currency_goes(operator, make_account):
    both = plan(code="usd")
    assert subscription_create(account=make_account(), plan=both, currency="USD").currency == "USD"
