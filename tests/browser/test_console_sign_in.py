"""A customer signs in to the console in a real browser, switches account and signs out."""

import pytest
from django.contrib.auth import get_user_model

from billing import tenancy
from billing.services import account_create, membership_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(transactional_db):
    user = get_user_model().objects.create_user("alice", "alice@example.com", "browser-pass-1")
    with tenancy.operator_scope():
        for name in ("Acme Corp", "Globex Inc"):
            membership_add(account=account_create(name=name), user=user, role="owner")
    return user


def test_sign_in_switch_account_and_sign_out(live_server, page, alice):
    page.goto(f"{live_server.url}/console/")
    assert "/console/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Acme Corp')")

    with page.expect_navigation():
        page.select_option("#account-switch", label="Globex Inc")
    assert page.locator("main h1").inner_text() == "Globex Inc"

    page.click("text=Sign out")
    page.wait_for_url("**/console/login/")


def test_a_wrong_password_is_told_and_nothing_opens(live_server, page, alice):
    page.goto(f"{live_server.url}/console/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.locator("text=Please enter a correct username and password").is_visible()
