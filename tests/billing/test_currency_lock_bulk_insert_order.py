"""Two bulk currency locks over the same accounts insert the missing profiles in one order (account id),
so they wait for each other instead of deadlocking on the profile's unique account index."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import BillingProfile
from billing.services.customers_bulk import billing_profiles_currency_lock_many

pytestmark = pytest.mark.django_db


def test_missing_profiles_are_inserted_in_account_order(operator, make_account):
    accounts = [make_account() for _ in range(3)]
    wanted = {a.pk: "USD" for a in reversed(accounts)}  # the order of a chunk's invoices, not of the accounts
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        billing_profiles_currency_lock_many(currencies=wanted)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "billing_billingprofile"')]
    assert len(inserts) == 1
    # Rows are inserted (and take their ids) in the order of the VALUES list.
    by_id = list(BillingProfile.objects.order_by("id").values_list("account_id", flat=True))
    assert by_id == sorted(a.pk for a in accounts)
    assert BillingProfile.objects.filter(currency="USD", currency_locked_at__isnull=False).count() == 3
