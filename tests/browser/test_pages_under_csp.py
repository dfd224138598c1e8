"""The console, the admin and the API docs work in a real browser under the Content-Security-Policy:
Chromium reports no refused script, style, frame or fetch, and the pages' scripts still run."""

import pytest
from django.contrib.auth import get_user_model

from billing import tenancy
from billing.services import account_create, membership_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def refused(page):
    """What Chromium refused under the policy, page after page."""
    messages = []
    page.on("console", lambda message: messages.append(message.text)
            if "Content Security Policy" in message.text else None)
    return messages


def visit(page, url):
    response = page.goto(url)
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url
    return response


def sign_in(page, url, username, password):
    visit(page, url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")


def test_the_console_works_under_the_policy(live_server, page, refused):
    user = get_user_model().objects.create_user("carol", "carol@example.com", "browser-pass-1")
    with tenancy.operator_scope():
        for name in ("Acme Corp", "Globex Inc"):
            membership_add(account=account_create(name=name), user=user, role="owner")
    sign_in(page, f"{live_server.url}/console/login/", "carol", "browser-pass-1")
    page.wait_for_selector("h1:has-text('Acme Corp')")
    for path in ("/console/invoices/", "/console/payment-methods/", "/console/api-keys/",
                 "/console/payment-methods/add/", "/console/plan/", "/console/billing/"):
        visit(page, f"{live_server.url}{path}")
    visit(page, f"{live_server.url}/console/invoices/")
    with page.expect_navigation():  # the status filter submits itself (console.js, no inline handler)
        page.select_option("#status", index=1)
    assert "status=" in page.url
    assert refused == []


def test_the_admin_works_under_the_policy(live_server, page, refused):
    get_user_model().objects.create_superuser("root", "root@example.com", "browser-pass-1")
    sign_in(page, f"{live_server.url}/admin/login/", "root", "browser-pass-1")
    page.wait_for_selector("#site-name")
    for path in ("/admin/billing/account/", "/admin/billing/account/add/", "/admin/billing/plan/add/",
                 "/admin/dashboard/", "/admin/revenue-recognition/", "/admin/auth/user/"):
        visit(page, f"{live_server.url}{path}")
    # The admin's own scripts ran: the user list's "select all" box ticks every row.
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() == 1
    assert refused == []


def test_the_api_docs_render_under_the_policy(live_server, page, refused):
    visit(page, f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    assert refused == []
