"""The webhooks' settings are checked when the process starts, as every app's are."""

import pytest

from tests.helpers import settings_check


def test_the_default_settings_pass():
    assert settings_check("webhooks") == {}


@pytest.mark.parametrize("name, value, check_id, allowed", [
    ("WEBHOOK_ALLOWED_NETWORKS", ["10.20.0.0/16", "the office"], "webhooks.E005", "is not an IP network"),
    ("WEBHOOK_TIMEOUT_SECONDS", 0, "webhooks.E003", "at least 1"),
    ("WEBHOOK_TIMEOUT_SECONDS", 600, "webhooks.E003", "at most 60"),
    ("WEBHOOK_TIMEOUT_SECONDS", "15s", "webhooks.E001", "whole number"),
])
def test_a_wrong_value_is_named_with_what_it_allows(settings, name, value, check_id, allowed):
    setattr(settings, name, value)
    found = settings_check("webhooks")
    assert list(found) == [check_id] and name in found[check_id] and allowed in found[check_id]


def test_allowed_networks_take_addresses_and_networks_of_both_families(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]
    assert settings_check("webhooks") == {}
