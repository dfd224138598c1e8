"""The finance dashboard in a real browser, signed in as a finance viewer: the figures of the hand-computed
book (tests/analytics/conftest.py) at the end of March 2027, the chart's bars link to their months;
accessible, fits a phone, screenshots."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tests.analytics.conftest import book  # noqa: F401  (the fixture)
from tests.browser.checks import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

END_OF_MARCH = datetime(2027, 3, 31, 18, tzinfo=UTC)


@pytest.fixture
def viewer(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from billing.roles import FINANCE_VIEWER

    user = get_user_model().objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_VIEWER))
    return user


@pytest.fixture
def end_of_march(book):  # noqa: F811
    """The domain clock (the live server's thread reads it from the database) at the end of March 2027."""
    from billing import clock
    from billing.models import SimulatedClock

    SimulatedClock.objects.update_or_create(pk=1, defaults={
        "offset_seconds": int((END_OF_MARCH - timezone.now()).total_seconds())})
    clock._cache["read_at"] = 0.0
    yield
    SimulatedClock.objects.filter(pk=1).delete()
    clock._cache["read_at"] = 0.0


def test_the_finance_dashboard(live_server, page, viewer, end_of_march):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "a-long-password-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    with page.expect_navigation():
        page.click("text=Finance dashboard")
    main = page.locator("#content-main")
    assert "$955.00" in main.inner_text() and "€160.00" in main.inner_text()
    assert page.locator(".dash-chart svg rect.bar").count() == 6  # three months in each of two currencies
    check_page(page, "admin-dashboard")
    with page.expect_navigation():
        page.locator(".dash-chart a").first.click()
    assert "/admin/analytics/mrrmonth/" in page.url and "2027-01-01" in page.url


def test_the_revenue_recognition_page(live_server, page, viewer, end_of_march):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/revenue-recognition/%3Fcurrency%3DUSD%26from%3D2027-01"
              "%26to%3D2027-06")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "a-long-password-1")
    with page.expect_navigation():
        page.click("input[type=submit]")
    main = page.locator("#content-main")
    assert "Per month, USD" in main.inner_text() and "2027-03" in main.inner_text()
    check_page(page, "admin-revenue-recognition")
