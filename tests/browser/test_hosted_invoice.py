"""The hosted invoice page in a real browser, signed in as no one: read the invoice, pay it with a new card
(sandbox; and a 3-D Secure card through localstripe's Stripe.js under the page's CSP), and read "Paid on …,
thank you"; accessible, fits a phone, screenshots of each step."""

import pytest

from tests.browser.checks import check_page
from tests.payments import conftest as stripe_stand_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
localstripe_url = stripe_stand_in.localstripe_url


def hosted_path(invoice) -> str:
    from invoicing.hosted_links import HOSTED_INVOICE_PATH, hosted_invoice_token

    return f"{HOSTED_INVOICE_PATH}{hosted_invoice_token(invoice_id=invoice.pk, account_id=invoice.account_id)}/"


def status_of(invoice) -> str:
    from billing import tenancy
    from invoicing.models import Invoice

    with tenancy.operator_scope():
        return Invoice.objects.get(pk=invoice.pk).status


def test_pay_from_the_hosted_page_without_signing_in(live_server, page, world, settings):
    settings.PAYMENTS_GATEWAY = "sandbox"
    page.goto(f"{live_server.url}{hosted_path(world.open_invoice)}")
    main = page.locator("main").inner_text()
    assert world.open_invoice.number in main and "Onboarding workshop" in main and "$250.00" in main
    assert page.get_by_role("link", name="Sign out").count() == 0  # nobody is signed in
    check_page(page, "hosted-invoice")
    pdf = page.context.request.get(live_server.url + page.get_by_role("link", name="Download PDF").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

    page.get_by_role("link", name="Pay $250.00").click()
    page.wait_for_url("**/pay/")
    check_page(page, "hosted-invoice-pay")
    page.select_option("#test-card", "visa")
    page.get_by_role("button", name="Pay $250.00").click()
    page.wait_for_url(f"**{hosted_path(world.open_invoice)}")
    main = page.locator("main").inner_text()
    assert "Thank you: $250.00 paid." in main and "Paid on" in main and "thank you." in main
    assert page.get_by_role("link", name="Pay $250.00").count() == 0
    check_page(page, "hosted-invoice-paid")
    assert status_of(world.open_invoice) == "paid"


def test_pay_from_the_hosted_page_through_localstripe_with_3d_secure(live_server, page, world, settings,
                                                                     localstripe_url):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = stripe_stand_in.SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    settings.STRIPE_TIMEOUT_SECONDS = 10
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    invoice_page = page.goto(f"{live_server.url}{hosted_path(world.open_invoice)}")
    policy = invoice_page.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and localstripe_url not in policy  # Stripe.js only where a card is typed
    card_page = page.goto(f"{live_server.url}{hosted_path(world.open_invoice)}pay/")
    assert localstripe_url in card_page.headers.get("content-security-policy", "")
    page.fill("#card-element input[placeholder=number]", "4000000000003220")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.get_by_role("button", name="Pay $250.00").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/payments/*/authenticate/")
    check_page(page, "hosted-payment-authenticate")
    page.get_by_role("button", name="Confirm with my bank").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(f"**{hosted_path(world.open_invoice)}")
    assert "Paid on" in page.locator("main").inner_text()
    assert status_of(world.open_invoice) == "paid"
    assert refused == []  # the policy refused nothing Stripe.js (here localstripe's) needed
