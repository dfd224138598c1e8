"""API keys in a real browser: an owner creates a key, sees the secret once, refreshes the page and finds
one key, not two; accessible, fits a phone, screenshots."""

import pytest

from billing import tenancy
from billing.models import ApiKey
from tests.browser.checks import check_page, sign_in
from tests.console_world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_key_and_refresh_without_a_duplicate(live_server, page, world):
    sign_in(page, live_server.url, "alice", PASSWORD)
    page.click("nav >> text=API keys")
    page.wait_for_url("**/console/api-keys/")
    page.fill("#id_name", "Production ingest")
    page.get_by_label("Send usage events").check()
    with page.expect_navigation():
        page.click("text=Create key")
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("bk_")
    check_page(page, "api-keys")
    page.reload()
    assert page.locator("#new-key").count() == 0
    assert page.get_by_role("cell", name="Production ingest", exact=True).count() == 1
    with tenancy.operator_scope():
        assert ApiKey.objects.filter(account=world.acme, name="Production ingest").count() == 1
