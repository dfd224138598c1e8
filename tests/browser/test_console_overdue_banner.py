"""The overview of a restricted account in a real browser: the banner says why in words, passes axe-core,
fits a phone; screenshots."""

import pytest

from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_restricted_banner(live_server, page, world):
    from billing import tenancy
    from billing.services import account_standing_change

    with tenancy.operator_scope():
        account_standing_change(account_id=world.acme.pk, state="restricted", days_past_due=15)
    sign_in(page, live_server.url, "alice", PASSWORD)
    banner = page.locator("main [role=alert]").filter(has_text="Account restricted")
    assert "usage of features without a hard limit is refused" in banner.inner_text()
    check_page(page, "overview-restricted")
    banner.locator("text=See the invoices to pay").click()
    page.wait_for_url("**/console/invoices/")
