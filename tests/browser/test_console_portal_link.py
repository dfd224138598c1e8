"""A portal link in a real browser: the operator's app asks the API for a link to pay a given invoice, the
person opens it, lands signed in on that invoice with a "Back to <operator>" link to the app; the same link
opened again is a page that says it expired. Accessible, fits a phone, screenshots."""

import pytest

from tests.browser.checks import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_portal_link_into_a_deep_linked_flow(live_server, page, world, api_key_for, settings):
    key = api_key_for(None, ["billing:write"])
    answer = page.request.post(f"{live_server.url}/api/v1/portal-sessions", headers={
        "Authorization": f"Bearer {key}"}, data={
        "account_id": world.acme.pk, "email": "erin@example.com", "role": "billing_manager",
        "return_url": "https://app.example.com/billing", "flow": "pay_invoice", "invoice_id": world.open_invoice.pk})
    assert answer.status == 201, answer.text()
    link = live_server.url + "/" + answer.json()["url"].split("/", 3)[3]
    page.goto(link)
    page.wait_for_url(f"**/console/invoices/{world.open_invoice.pk}/")
    back = page.get_by_role("link", name=f"Back to {settings.OPERATOR_NAME}")
    assert back.get_attribute("href") == "https://app.example.com/billing"
    check_page(page, "portal-invoice")
    page.goto(link)
    assert page.locator("main h1").inner_text() == "This link has expired"
    check_page(page, "portal-link-expired")
