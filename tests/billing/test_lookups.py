"""`field__any=[...]` finds what `field__in=[...]` finds, with one array parameter."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_any_matches_in(make_account, operator):
    from billing.models import Account

    accounts = [make_account(f"A{i}") for i in range(3)]
    ids = [a.pk for a in accounts[:2]] + [10**12]
    assert set(Account.objects.filter(pk__any=ids)) == set(Account.objects.filter(pk__in=ids)) == set(accounts[:2])
    assert not Account.objects.filter(pk__any=[]).exists()
    names = ["A0", "A2", "nobody"]
    assert set(Account.objects.filter(name__any=names)) == {accounts[0], accounts[2]}


def test_any_on_a_foreign_key_and_one_placeholder(make_account, operator):
    from billing.models import BillingProfile

    accounts = [make_account(f"B{i}") for i in range(3)]
    for a in accounts[:2]:
        BillingProfile.objects.get_or_create(account=a, defaults={"legal_name": a.name})
    many = [a.pk for a in accounts] + list(range(10**9, 10**9 + 200))
    with CaptureQueriesContext(connection) as queries:
        found = set(BillingProfile.objects.filter(account_id__any=many).values_list("account_id", flat=True))
    assert found == {a.pk for a in accounts[:2]}
    assert "ANY(" in queries[0]["sql"] and str(10**9 + 199) in queries[0]["sql"]


def test_an_empty_list_sends_no_query(operator, db):
    from billing.models import Account

    with CaptureQueriesContext(connection) as queries:
        assert list(Account.objects.filter(pk__any=[])) == []
    assert len(queries) == 0
