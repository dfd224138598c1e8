"""The overview in a real browser: sign in, read plan, amount due and usage with the true percentage;
accessible, fits a phone, screenshots."""

import pytest

from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_total(world) -> int:
    from billing import tenancy
    from invoicing.models import Invoice

    with tenancy.operator_scope():  # here the outbox ran: the subscription's opening invoice is open too
        return sum(Invoice.objects.filter(account=world.acme, status="open").values_list("amount_due", flat=True))


def test_the_overview(live_server, page, world):
    sign_in(page, live_server.url, "alice", PASSWORD)
    assert page.locator("main h1").inner_text() == "Acme Corp"
    assert page.locator("#due-h + p").inner_text() == f"${_open_total(world) / 100:,.2f}"
    assert "110% of the 1,000,000 included" in page.locator("main").inner_text()
    check_page(page, "overview")
    page.click(f"text=Pay invoice {world.open_invoice.number}")
    page.wait_for_url(f"**/console/invoices/{world.open_invoice.pk}/pay/")  # the pay page (test_console_pay.py)
