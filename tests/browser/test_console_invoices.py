"""The invoice pages in a real browser: filter the list, open an invoice that adds up, download its PDF
and read its text, and its UBL e-invoice; accessible, fits a phone, screenshots of the list, an invoice and the upcoming one."""

import io

import pytest

from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_open_an_invoice_and_download_its_pdf(live_server, page, world):
    sign_in(page, live_server.url, "bea", PASSWORD)
    page.click("nav >> text=Invoices")
    page.wait_for_url("**/console/invoices/")
    assert page.get_by_role("link", name=world.billed.number, exact=True).count() == 1
    check_page(page, "invoices")

    with page.expect_navigation():  # choosing a status sends the filter at once
        page.select_option("#status", "paid")
    assert "status=paid" in page.url
    table = page.locator("#invoice-table")
    table.get_by_role("link", name=world.billed.number, exact=True).wait_for()
    assert table.get_by_role("link", name=world.open_invoice.number, exact=True).count() == 0

    table.get_by_role("link", name=world.billed.number, exact=True).click()
    page.wait_for_url(f"**/console/invoices/{world.billed.pk}/")
    totals = page.locator("table.totals").inner_text()
    assert "Credit applied from your balance" in totals and "−$10.00" in totals and "$0.00" in totals
    assert "$0.02 per 1,000 tokens" in page.locator("table.lines").inner_text()
    check_page(page, "invoice")

    # The link opens the PDF in the browser's viewer (inline): fetch it as the signed-in browser does.
    href = page.get_by_role("link", name="Download PDF").get_attribute("href")
    pdf = page.context.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    assert world.billed.number in text and "Acme Corp" in text
    href = page.get_by_role("link", name="Download e-invoice (UBL)").get_attribute("href")
    ubl = page.context.request.get(f"{live_server.url}{href}")
    assert ubl.ok and ubl.headers["content-type"].startswith("application/xml")
    assert f"<cbc:ID>{world.billed.number}</cbc:ID>".encode() in ubl.body()

    page.goto(f"{live_server.url}/console/invoices/upcoming/")
    assert "Upcoming invoice" in page.locator("h1").inner_text()
    check_page(page, "upcoming-invoice")
