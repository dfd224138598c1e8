"""The overview tells an account that is overdue, restricted or suspended why, in words (not colour alone),
with the way to pay for those who may; an account in good standing sees no banner."""

import pytest

from billing import tenancy
from billing.services import account_standing_change
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


def standing(account, state, days):
    with tenancy.operator_scope():
        account_standing_change(account_id=account.pk, state=state, days_past_due=days)


def test_good_standing_shows_no_banner(world):  # noqa: F811
    text = page_text(signed_in(world.owner).get("/console/"))
    assert "Account restricted" not in text and "Payment overdue:" not in text


@pytest.mark.parametrize(("state", "days", "words"), [
    ("warning", 8, "Payment overdue: an invoice is 8 days past due."),
    ("restricted", 15, "Account restricted: an invoice is 15 days past due, so usage of features without a hard "
                       "limit is refused until it is paid."),
    ("suspended", 31, "Account suspended: an invoice is 31 days past due, so your service is suspended"),
])
def test_each_state_says_why(world, state, days, words):  # noqa: F811
    standing(world.acme, state, days)
    owner = page_text(signed_in(world.owner).get("/console/"))
    assert words in owner and "Paying every invoice due restores your account at once." in owner
    assert "See the invoices to pay" in owner
    viewer = page_text(signed_in(world.user("viewer")).get("/console/"))
    assert words in viewer and "See the invoices to pay" not in viewer


def test_another_accounts_state_is_not_shown(world):  # noqa: F811
    standing(world.globex, "suspended", 40)
    assert "Account suspended" not in page_text(signed_in(world.owner).get("/console/"))
