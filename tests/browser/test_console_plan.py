"""The plan page in a real browser: choose a plan, read what the preview charges now and at renewal, confirm;
cancel at the period end with a reason, then keep the subscription. Accessible, fits a phone, screenshots of the
plans, the preview and the subscription set to end."""

import pytest

from billing import tenancy
from billing.models import Subscription
from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plans(world):
    from tests.billing.catalog_factories import plan

    with tenancy.operator_scope():
        plan(code="starter", flat=1_900, sort_order=-1, features=["Email support"],
             limits=[{"metric": "api_calls", "included": 50, "cap_mode": "hard"}])
        plan(code="business", flat=9_900, seat=1_500, included_seats=3, max_seats=50, sort_order=5,
             features=["Priority support", "Single sign-on"], proration_behavior="always_invoice",
             limits=[{"metric": "api_calls", "included": 10_000}])


def subscription(world):
    with tenancy.operator_scope():
        return Subscription.objects.select_related("plan").get(pk=world.subscription.pk)


def test_change_plan_with_the_preview(live_server, page, world, plans):
    sign_in(page, live_server.url, "bea", PASSWORD)
    page.click("nav >> text=Plan")
    page.wait_for_url("**/console/plan/")
    current = page.locator("article.plan.current")
    assert "Scale" in current.inner_text() and "Current plan" in current.inner_text()
    check_page(page, "plan")

    with page.expect_navigation():
        page.get_by_role("link", name="Choose Business").click()
    assert page.locator("#new-terms").inner_text() == "Business with 1 seat"
    charged_now = page.locator("#charged-now").inner_text()
    assert charged_now.startswith("$") and charged_now != "$0.00"  # an upgrade invoiced at once
    assert page.locator("#at-renewal").inner_text() == "$99.00"
    check_page(page, "plan-preview")

    with page.expect_navigation():
        page.get_by_role("button", name="Confirm the change").click()
    assert "Your subscription is now on Business with 1 seat." in page.locator(".flash").first.inner_text()
    assert "Business" in page.locator("article.plan.current").inner_text()
    assert subscription(world).plan.code == "business"


def test_cancel_with_a_reason_and_undo(live_server, page, world, plans):
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/console/plan/")
    page.get_by_label("Another reason").check()
    with page.expect_navigation():  # "another reason" needs words: the form comes back with the choice kept
        page.get_by_role("button", name="Cancel at the end of the period").click()
    assert page.get_by_label("Another reason").is_checked()
    assert "Say what the reason is." in page.locator("#id_details_errors").inner_text()
    page.get_by_label("Tell us more").fill("We are merging with another team")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel at the end of the period").click()
    notice = page.locator("#cancel-scheduled").inner_text()
    assert "Your subscription is set to end on" in notice and "We are merging with another team" in notice
    sub = subscription(world)
    assert sub.cancel_at_period_end and sub.cancel_reason == "other: We are merging with another team"
    check_page(page, "plan-cancel-scheduled")

    with page.expect_navigation():
        page.get_by_role("button", name="Keep my subscription").click()
    assert "Your subscription continues" in page.locator(".flash").first.inner_text()
    assert page.locator("#cancel-scheduled").count() == 0
    assert not subscription(world).cancel_at_period_end
