"""Finance sees each account's overdue state in the admin: a column and a filter on the accounts."""

import pytest

from billing import tenancy
from billing.roles import FINANCE_VIEWER
from billing.services import account_standing_change
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def test_the_accounts_list_shows_and_filters_by_overdue_state(make_account):
    late = make_account("Globex Late")
    make_account("Initech Fine")
    with tenancy.operator_scope():
        account_standing_change(account_id=late.pk, state="restricted", days_past_due=15)
    client = staff("viewer", FINANCE_VIEWER)
    page = client.get("/admin/billing/account/").content.decode()
    assert "Restricted (soft-limit usage refused)" in page and "Good standing" in page
    restricted = client.get("/admin/billing/account/?overdue_state=restricted").content.decode()
    assert "Globex Late" in restricted and "Initech Fine" not in restricted
    good = client.get("/admin/billing/account/?overdue_state=good").content.decode()
    assert "Initech Fine" in good and "Globex Late" not in good
    standings = client.get("/admin/billing/accountstanding/").content.decode()
    assert "Globex Late" in standings
