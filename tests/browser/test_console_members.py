"""Members in a real browser: an owner invites a billing manager from the Members page, the invitee opens the
emailed link in another browser, sets a password and lands in the account; accessible, fits a phone,
screenshots of the Members page and of the accept page."""

import re

import pytest
from django.core import mail

from billing import tenancy
from billing.models import Membership
from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_a_member_who_accepts(live_server, browser, page, world):
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.click("nav >> text=Members")
    page.wait_for_url("**/console/members/")
    page.fill("#id_email", "dana@example.com")
    page.select_option("#id_role", "billing_manager")
    with page.expect_navigation():
        page.click("text=Send invitation")
    assert "Invitation sent to dana@example.com." in page.locator("main").inner_text()
    assert page.get_by_role("cell", name="dana@example.com", exact=True).count() == 1
    check_page(page, "members")

    link = re.search(r"https?://\S+(/console/invitations/\S+/)", mail.outbox[-1].body).group(1)
    invitee = browser.new_context().new_page()
    invitee.goto(live_server.url + link)
    assert invitee.locator("main h1").inner_text() == "Join Acme Corp"
    check_page(invitee, "invitation-accept")
    invitee.fill("#id_password1", "dana-secret-pass-7")
    invitee.fill("#id_password2", "dana-secret-pass-7")
    with invitee.expect_navigation():
        invitee.click("text=Accept and sign in")
    invitee.wait_for_url("**/console/")
    assert "You joined Acme Corp as billing manager." in invitee.locator("main").inner_text()
    with tenancy.operator_scope():
        assert Membership.objects.get(account=world.acme, user__email="dana@example.com").role == "billing_manager"
    invitee.context.close()
