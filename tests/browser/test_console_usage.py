"""The usage page in a real browser: cards by metric name with the true percentage, the daily chart,
choosing a past period (htmx swaps the cards in place, the URL follows); accessible, fits a phone,
screenshots."""

import pytest

from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_read_usage_and_a_past_period(live_server, page, world):
    sign_in(page, live_server.url, "victor", PASSWORD)  # a viewer reads usage too
    page.click("nav >> text=Usage")
    page.wait_for_url("**/console/usage/")
    tokens = page.locator("article", has=page.locator("h2", has_text="LLM tokens"))
    assert "110% of the 1,000,000 tokens included" in tokens.inner_text()
    assert tokens.locator(".badge").inner_text() == "Over the limit"
    assert tokens.locator("svg.chart rect.bar").count() >= 28
    check_page(page, "usage")

    page.select_option("#period", index=1)
    page.click("text=Show")
    page.wait_for_url("**/console/usage/?period=*")
    page.wait_for_selector("text=Past period:")
    assert "1,500,000" in page.locator("article", has=page.locator("h2", has_text="LLM tokens")).inner_text()
    assert page.locator("h1").count() == 1  # the cards were swapped in place, not a page inside the page
