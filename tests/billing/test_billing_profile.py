"""The billing profile: validation naming fields, audit, and a currency fixed once invoiced."""

import pytest

from billing.errors import Conflict, ValidationFailed
from billing.models import AuditEntry, Plan
from billing.services import (
    billing_profile_currency_lock,
    billing_profile_update,
    subscription_create,
)
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


def test_bad_fields_are_named_and_nothing_is_saved(operator, make_account):
    account = make_account()
    billing_profile_update(account=account, legal_name="Acme GmbH")
    with pytest.raises(ValidationFailed) as exc:
        billing_profile_update(account=account, email="nope", country="Germany", legal_name="Changed")
    assert set(exc.value.fields) == {"email", "country"}
    account.billing_profile.refresh_from_db()
    assert account.billing_profile.legal_name == "Acme GmbH"
    assert AuditEntry.objects.filter(action="billing_profile.updated").count() == 1


def test_the_currency_is_fixed_once_invoiced(operator, make_account):
    account = make_account()
    billing_profile_update(account=account, currency="eur")
    billing_profile_update(account=account, currency="USD")  # not invoiced yet: free to change
    billing_profile_currency_lock(account_id=account.pk, currency="USD")
    billing_profile_currency_lock(account_id=account.pk, currency="USD")  # a replay is fine
    with pytest.raises(ValidationFailed) as exc:
        billing_profile_update(account=account, currency="EUR")
    assert "USD" in exc.value.fields["currency"][0]
    with pytest.raises(Conflict):
        billing_profile_currency_lock(account_id=account.pk, currency="EUR")


def test_a_new_subscription_takes_the_profile_currency(operator, make_account):
    plan(code="multi", flat=1_000)
    from billing.services import plan_pricing_change

    multi = Plan.objects.get(code="multi")
    plan_pricing_change(plan=multi, prices={"USD": {"flat_amount": 1_000}, "EUR": {"flat_amount": 900}})
    account = make_account()
    billing_profile_update(account=account, currency="EUR")
    assert subscription_create(account=account, plan=multi).currency == "EUR"
