"""The billing details page in a real browser: a billing manager updates the details; a wrong EU VAT number is
told by its field, with everything typed kept, and then corrected. Accessible, fits a phone, screenshots."""

import pytest

from billing import tenancy
from billing.models import BillingProfile
from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_update_details_and_a_bad_vat_id_keeps_the_form(live_server, page, world):
    sign_in(page, live_server.url, "bea", PASSWORD)
    page.click("nav >> text=Billing details")
    page.wait_for_url("**/console/billing/")
    check_page(page, "billing-details")

    page.get_by_label("Legal name").fill("Acme Europe SAS")
    page.get_by_label("Billing email").fill("ap@acme.example")
    page.get_by_label("Other billing contacts").fill("cfo@acme.example")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Tax id type").select_option("eu_vat")
    page.get_by_label("Tax id", exact=True).fill("FR40303265046")
    page.get_by_label("Invoice language").select_option("fr")
    page.get_by_label("Payment succeeded").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save billing details").click()

    assert "This is not a valid EU VAT number" in page.locator("#id_tax_id_errors").inner_text()
    assert page.get_by_label("Tax id", exact=True).input_value() == "FR40303265046"
    assert page.get_by_label("Legal name").input_value() == "Acme Europe SAS"
    assert page.get_by_label("Other billing contacts").input_value() == "cfo@acme.example"
    assert not page.get_by_label("Payment succeeded").is_checked()
    assert page.get_by_label("Tax id", exact=True).get_attribute("aria-invalid") == "true"
    check_page(page, "billing-details-error")
    with tenancy.operator_scope():
        assert BillingProfile.objects.get(account=world.acme).legal_name != "Acme Europe SAS"

    page.get_by_label("Tax id", exact=True).fill("FR40303265045")
    with page.expect_navigation():
        page.get_by_role("button", name="Save billing details").click()
    assert "Billing details saved." in page.locator(".flash").first.inner_text()
    with tenancy.operator_scope():
        profile = BillingProfile.objects.get(account=world.acme)
    assert (profile.legal_name, profile.tax_id, profile.preferred_language) == ("Acme Europe SAS", "FR40303265045",
                                                                                 "fr")
