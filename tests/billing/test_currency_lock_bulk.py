"""billing_profiles_currency_lock_many fixes currencies as billing_profile_currency_lock does."""

import pytest

from billing.errors import Conflict
from billing.models import AuditEntry, BillingProfile
from billing.services import billing_profile_currency_lock, billing_profile_update
from billing.services.customers_bulk import billing_profiles_currency_lock_many

pytestmark = pytest.mark.django_db


def state(account):
    profile = BillingProfile.objects.get(account_id=account.pk)
    def plain(picture):
        return {k: v for k, v in picture.items() if k not in ("id", "account")}

    audits = [(a.action, a.object_type, a.account_id == account.pk, plain(a.before), plain(a.after),
               (a.before["id"], a.before["account"]) == (profile.pk, account.pk))
              for a in AuditEntry.objects.filter(action="billing_profile.currency_locked",
                                                 object_id=str(profile.pk))]
    return profile.currency, profile.currency_locked_at is not None, profile.legal_name, audits


def test_the_bulk_lock_writes_what_the_single_one_writes(operator, make_account):
    bare_one, bare_two, profiled_one, profiled_two, locked = (make_account() for _ in range(5))
    for account in (profiled_one, profiled_two):
        billing_profile_update(account=account, legal_name="Acme SAS")
    billing_profile_currency_lock(account_id=locked.pk, currency="EUR")
    billing_profile_currency_lock(account_id=bare_one.pk, currency="usd")
    billing_profile_currency_lock(account_id=profiled_one.pk, currency="USD")
    billing_profiles_currency_lock_many(currencies={bare_two.pk: "usd", profiled_two.pk: "USD", locked.pk: "EUR"})
    assert state(bare_one) == state(bare_two)
    assert state(profiled_one) == state(profiled_two)
    assert state(locked)[:2] == ("EUR", True) and len(state(locked)[3]) == 1  # locked once, not again


def test_another_currency_than_the_locked_one_is_a_conflict(operator, make_account):
    account = make_account()
    billing_profile_currency_lock(account_id=account.pk, currency="EUR")
    with pytest.raises(Conflict):
        billing_profiles_currency_lock_many(currencies={account.pk: "USD"})
