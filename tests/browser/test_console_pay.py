"""Paying an open invoice in a real browser: a new card through the sandbox gateway, and a 3-D Secure card
through localstripe's Stripe.js stand-in (its card form, its bank's challenge) against the real Stripe SDK;
accessible, fits a phone, screenshots of the pay page, the card form and the challenge."""

import pytest

from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD
from tests.payments import conftest as stripe_stand_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
localstripe_url = stripe_stand_in.localstripe_url  # the session's localstripe, shared with tests/payments
STAND_IN_CARD = ("#card-element",)  # localstripe's bare inputs stand in for Stripe's own (labelled) frame


def status_of(invoice) -> str:
    from billing import tenancy
    from invoicing.models import Invoice

    with tenancy.operator_scope():
        return Invoice.objects.get(pk=invoice.pk).status


def test_pay_an_open_invoice_with_a_new_card_through_the_sandbox(live_server, page, world, settings):
    settings.PAYMENTS_GATEWAY = "sandbox"
    sign_in(page, live_server.url, "bea", PASSWORD)
    page.goto(f"{live_server.url}/console/invoices/{world.open_invoice.pk}/")
    page.get_by_role("link", name="Pay $250.00").click()
    page.wait_for_url(f"**/console/invoices/{world.open_invoice.pk}/pay/")
    assert page.get_by_label("A new card").is_checked()  # no saved card yet
    check_page(page, "invoice-pay")
    page.get_by_role("button", name="Pay $250.00").click()
    page.wait_for_url("**/pay/new/?attempt=1")
    check_page(page, "invoice-pay-new-card-sandbox")
    page.select_option("#test-card", "visa")
    page.get_by_role("button", name="Pay $250.00").click()
    page.wait_for_url(f"**/console/invoices/{world.open_invoice.pk}/")
    main = page.locator("main").inner_text()
    assert "Thank you: $250.00 paid." in main and "Paid" in page.locator(".badge").inner_text()
    assert "Payments and credits" in main
    assert status_of(world.open_invoice) == "paid"


def test_pay_through_localstripe_with_a_3d_secure_card(live_server, page, world, settings, localstripe_url):
    settings.PAYMENTS_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = stripe_stand_in.SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    settings.STRIPE_TIMEOUT_SECONDS = 10
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/console/invoices/{world.open_invoice.pk}/pay/")
    page.get_by_role("button", name="Pay $250.00").click()
    page.wait_for_url("**/pay/new/?attempt=1")
    page.locator("#card-element input[placeholder=number]").wait_for()
    check_page(page, "invoice-pay-new-card", exclude=STAND_IN_CARD)
    page.fill("#card-element input[placeholder=number]", "4000000000003220")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "34")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.get_by_role("button", name="Pay $250.00").click()
    page.get_by_role("button", name="Complete authentication").click()  # the bank's check of the new card
    page.wait_for_url("**/console/payments/*/authenticate/")
    assert f"Payment of $250.00 for invoice {world.open_invoice.number}." in page.locator("main").inner_text()
    check_page(page, "payment-authenticate")
    page.get_by_role("button", name="Confirm with my bank").click()
    page.get_by_role("button", name="Complete authentication").click()  # the bank's check of the payment
    page.get_by_text("This payment is confirmed.").wait_for()
    assert status_of(world.open_invoice) == "paid"
    page.get_by_role("link", name="Back to the invoice").click()
    page.wait_for_url(f"**/console/invoices/{world.open_invoice.pk}/")
    assert "Paid" in page.locator(".badge").inner_text()
