"""One balance, read one way: the API and the console overview report what `account_balance` derives."""

import pytest

from billing import tenancy
from billing.services import credit_grant
from invoicing.services import invoice_finalize
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(make_account):
    account = make_account("Owing")
    with tenancy.operator_scope():
        invoice_finalize(invoice=draft(account, ("Plan", 1, "120.00")))
        credit_grant(account=account, amount=2000, currency="USD", reason="Goodwill")
        invoice_finalize(invoice=draft(account, ("Seats", 1, "50.00")))  # draws the 20.00 of credit
        credit_grant(account=account, amount=700, currency="USD", reason="Goodwill")
    return account


def test_the_api_reports_the_balance_and_hides_other_accounts(api_client, api_key_for, make_account, owing):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(owing)}")
    answer = api_client.get(f"/api/v1/accounts/{owing.pk}/balance")
    assert answer.status_code == 200
    assert answer.json() == {"account_id": owing.pk, "balances": [
        {"currency": "USD", "due": 15000, "written_off": 0, "credit": 700, "net": 14300}]}
    other = make_account("Other")
    assert api_client.get(f"/api/v1/accounts/{other.pk}/balance").status_code == 404
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None)}")
    assert api_client.get(f"/api/v1/accounts/{other.pk}/balance").json()["balances"] == []
    assert api_client.get("/api/v1/accounts/999999/balance").status_code == 404
    assert api_client.get(f"/api/v1/accounts/{10**30}/balance").status_code == 404  # past bigint: not a 500
    assert api_client.get(f"/api/v1/accounts/{owing.pk}/balance?x=1").status_code == 400


def test_the_console_overview_shows_what_is_due_and_the_credit(client, owing):
    from django.contrib.auth import get_user_model

    from billing.services import membership_add

    with tenancy.operator_scope():
        user = get_user_model().objects.create_user(username="owner@owing.test", email="owner@owing.test",
                                                    password="pw-long-enough-1")
        membership_add(account=owing, user=user, role="owner")
    client.force_login(user)
    page = client.get("/console/").content.decode()
    assert "$150.00" in page and "$7.00" in page and "Credit balance" in page
