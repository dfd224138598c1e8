"""Billing's settings (feature flags, time travel, the operator, the API's limits, sign-in delays) are checked
when the process starts."""

import environ
import pytest

from billing import conf
from billing.conf import FEATURE_FLAGS, BillingSettings
from tests.helpers import settings_check


def test_the_default_settings_pass():
    assert settings_check("billing") == {}


def test_a_missing_logo_is_only_a_warning(settings, tmp_path):
    settings.OPERATOR_LOGO = str(tmp_path / "missing.png")
    assert list(settings_check("billing")) == ["billing.W001"]
    (tmp_path / "missing.png").write_bytes(b"\x89PNG")
    assert settings_check("billing") == {}


@pytest.mark.parametrize("name, value, check_id, allowed", [
    ("OPERATOR_COUNTRY", "XX", "billing.E005", "ISO 3166-1 alpha-2"),
    ("OPERATOR_COUNTRY", "France", "billing.E005", "ISO 3166-1 alpha-2"),
    ("OPERATOR_COUNTRY", "", "billing.E004", "must not be empty"),
    ("OPERATOR_CURRENCY", "EURO", "billing.E005", "ISO 4217"),
    ("OPERATOR_NAME", "", "billing.E004", "must not be empty"),
    ("DUNNING_ENABLED", "maybe", "billing.E001", "true or false"),
    ("BILLING_CLOCK_TRAVEL", "sometimes", "billing.E001", "true or false"),
    ("API_THROTTLE_RATE_PER_MINUTE", 0, "billing.E003", "at least 1"),
    ("API_IDEMPOTENCY_TTL_SECONDS", "a day", "billing.E001", "whole number"),
    ("API_KEY_CACHE_SECONDS", -1, "billing.E003", "at least 0"),
    ("API_MAX_BODY_BYTES", 100, "billing.E003", "at least 1024"),
    ("SIGNIN_FAILURE_LIMIT", 0, "billing.E003", "at least 1"),
    ("SIGNIN_ADDRESS_FAILURE_LIMIT", -5, "billing.E003", "at least 1"),
    ("SIGNIN_MAX_DELAY_SECONDS", "15m", "billing.E001", "whole number"),
    ("SIGNIN_FAILURE_WINDOW_SECONDS", 0, "billing.E003", "at least 1"),
])
def test_a_wrong_value_is_named_with_what_it_allows(settings, name, value, check_id, allowed):
    setattr(settings, name, value)
    found = settings_check("billing")
    assert check_id in found, found
    assert found[check_id].startswith(f"{name} is ") and allowed in found[check_id]


def test_codes_are_read_in_any_case(settings):
    settings.OPERATOR_COUNTRY, settings.OPERATOR_CURRENCY = "de", "eur"
    assert settings_check("billing") == {}


@pytest.mark.parametrize("text, flag", [("true", True), ("on", True), ("1", True), ("false", False),
                                        ("no", False), ("0", False), ("flase", "flase")])
def test_a_flag_is_read_strictly_from_the_environment(monkeypatch, text, flag):
    monkeypatch.setenv("DUNNING_ENABLED", text)
    assert BillingSettings.from_environment(environ.Env())["DUNNING_ENABLED"] == flag


def test_each_feature_reads_its_own_flag(settings):
    settings.RECONCILIATION_ENABLED = False
    assert conf.features() == {feature: feature != "reconciliation" for feature in FEATURE_FLAGS}


def test_the_web_process_names_an_api_setting_that_is_not_a_number():
    # config/settings/api.py derives Django's upload ceiling from API_MAX_BODY_BYTES: text there must reach
    # the start-up check, which names it, not fail the settings module with a TypeError.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.development", "API_MAX_BODY_BYTES": "lots"}
    result = subprocess.run([sys.executable, "-c", "import config.wsgi"], cwd=Path(__file__).resolve().parents[2],
                            env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode != 0
    assert "(billing.E001) API_MAX_BODY_BYTES is 'lots': it must be a whole number." in result.stderr
