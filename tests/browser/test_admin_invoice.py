"""The invoice admin as a finance admin sees it in a real browser: the list (search box in the header),
a paid invoice (no Save button), and a money action's confirmation page with the amounts and the reason.
Each page is checked by axe-core and saved into docs/screenshots/admin-invoice-*.png (docs/finance-guide.md)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from billing import tenancy
from billing.roles import FINANCE_ADMIN
from tests.browser.checks import assert_accessible, save_screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoices(settings, tmp_path):
    from billing.services import account_create
    from invoicing.services import invoice_finalize, invoice_mark_paid
    from tests.invoicing.factories import draft, profile

    settings.MEDIA_ROOT = str(tmp_path)
    with tenancy.operator_scope():
        acme = account_create(name="Acme Corp", external_id="crm-4711")
        profile(acme)
        drafted = draft(acme, ("Scale plan, December", 1, "490.00"), ("Extra seats", 3, "25.00"))
        opened = invoice_finalize(invoice=draft(acme, ("Onboarding workshop", 1, "1200.00")))
        paid = invoice_mark_paid(invoice=invoice_finalize(invoice=draft(acme, ("Scale plan, November", 1, "490.00"))),
                                 reference="SEPA-2026-11-042")
    return drafted, opened, paid


def sign_in(page, base_url):
    user = get_user_model().objects.create_user("fiona", "fiona@example.com", "browser-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_ADMIN))
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", "fiona")
    page.fill("input[name=password]", "browser-pass-1")
    with page.expect_navigation():
        page.click("[type=submit]")


def test_finance_reviews_invoices_and_confirms_an_action_with_a_reason(live_server, page, invoices):
    drafted, opened, paid = invoices
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/invoicing/invoice/")
    assert page.locator("#finance-search").is_visible()
    assert_accessible(page)
    save_screenshots(page, "admin-invoice-list")

    page.goto(f"{live_server.url}/admin/invoicing/invoice/{paid.pk}/change/")
    assert page.locator("input[name=_save]").count() == 0  # a paid invoice is never edited
    assert page.get_by_text("SEPA-2026-11-042").count() >= 1
    assert_accessible(page)
    save_screenshots(page, "admin-invoice-paid")

    page.goto(f"{live_server.url}/admin/invoicing/invoice/")
    page.check(f"input.action-select[value='{opened.pk}']")
    page.select_option("select[name=action]", "void")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert page.get_by_text("total $1,200.00").count() >= 1
    assert page.locator("input[name=reason]").is_visible()
    assert_accessible(page)
    save_screenshots(page, "admin-invoice-void-confirm")
    page.fill("input[name=reason]", "Workshop cancelled by the customer")
    with page.expect_navigation():
        page.click("input[name=_confirm]")
    assert page.get_by_text(f"Voided {opened.number}").count() == 1

    page.goto(f"{live_server.url}/admin/search/?q={paid.number}")
    assert page.get_by_role("link", name=paid.number).count() == 1
    assert_accessible(page)


def test_the_exports_and_jobs_pages_are_accessible(live_server, page, invoices):
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/exports/")
    assert page.get_by_label("From (inclusive)").is_visible()
    assert_accessible(page)
    save_screenshots(page, "admin-exports")
    page.select_option("select[name=kind]", "journal")
    with page.expect_download() as download:
        page.click("input[type=submit][value='Download the CSV']")
    assert download.value.suggested_filename.startswith("journal_")

    page.goto(f"{live_server.url}/admin/jobs/")
    assert page.get_by_text("invoicing-bill-run").count() == 1
    assert_accessible(page)
    save_screenshots(page, "admin-jobs")
