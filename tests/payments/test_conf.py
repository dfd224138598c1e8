"""Payments' settings are checked when the process starts: a wrong value is named, with what it allows."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from payments import conf
from tests.helpers import settings_check

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_settings_pass():
    assert settings_check("payments") == {}


@pytest.mark.parametrize("name, value, check_id, allowed", [
    ("DUNNING_FINAL_ACTION", "explode", "payments.E002", "cancel_subscription, mark_uncollectible or leave_past_due"),
    ("PAYMENTS_GATEWAY", "paypal", "payments.E002", "stripe, manual or sandbox"),
    ("DUNNING_RETRY_DAYS", [], "payments.E004", "must not be empty"),
    ("DUNNING_RETRY_DAYS", [0, 3], "payments.E003", "at least 1"),
    ("DUNNING_RETRY_DAYS", [1, 2, 3, 4, 5], "payments.E003", "at most 4 values"),
    ("DUNNING_RETRY_DAYS", [3, 1], "payments.E005", "the days must increase"),
    ("DUNNING_RETRY_DAYS", "1,x", "payments.E001", "comma-separated list of whole numbers"),
    ("PAYMENT_METHOD_TYPES", [], "payments.E004", "must not be empty"),
    ("PAYMENT_METHOD_EXPIRY_WARNING_DAYS", -1, "payments.E003", "at least 0"),
    ("PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS", 0, "payments.E003", "at least 1"),
    ("STRIPE_TIMEOUT_SECONDS", "20s", "payments.E001", "whole number"),
    ("STRIPE_MAX_NETWORK_RETRIES", -1, "payments.E003", "at least 0"),
    ("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 0, "payments.E003", "at least 1"),
    ("STRIPE_API_BASE", "localhost:12111", "payments.E005", "http:// or https://"),
    ("STRIPE_JS_URL", "", "payments.E004", "must not be empty"),
    ("RECONCILIATION_TOLERANCE_PERCENT", "-1", "payments.E003", "at least 0"),
    ("RECONCILIATION_TOLERANCE_PERCENT", "101", "payments.E003", "at most 100"),
    ("RECONCILIATION_TOLERANCE_PERCENT", 0.5, "payments.E001", "decimal number"),  # never a float
    ("RECONCILIATION_ALERT_THRESHOLD", "a lot", "payments.E001", "decimal number"),
    ("RECONCILIATION_ALERT_THRESHOLD", "-5", "payments.E003", "at least 0"),
    ("PAYMENTS_FINANCE_EMAILS", ["finance@example.com", "finance"], "payments.E005", "'finance' is not an email"),
])
def test_a_wrong_value_is_named_with_what_it_allows(settings, name, value, check_id, allowed):
    setattr(settings, name, value)
    found = settings_check("payments")
    assert check_id in found, found
    assert found[check_id].startswith(f"{name} is ") and allowed in found[check_id]


def test_stripe_without_a_secret_key_is_refused(settings):
    settings.PAYMENTS_GATEWAY, settings.STRIPE_SECRET_KEY = "stripe", ""
    found = settings_check("payments")
    assert "STRIPE_SECRET_KEY is empty" in found["payments.E006"]


def test_stripe_without_a_webhook_secret_is_only_a_warning(settings):
    settings.PAYMENTS_GATEWAY, settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "stripe", "sk_test_x", ""
    assert list(settings_check("payments")) == ["payments.W001"]


def test_the_alert_threshold_has_the_operator_currency_digits(settings):
    settings.OPERATOR_CURRENCY, settings.RECONCILIATION_ALERT_THRESHOLD = "JPY", "1000.50"
    assert "JPY has no decimals" in settings_check("payments")["payments.E006"]
    settings.RECONCILIATION_ALERT_THRESHOLD = "1000"
    assert settings_check("payments") == {}


def test_numbers_are_read_as_decimals_whatever_form_they_were_set_in(settings):
    settings.RECONCILIATION_ALERT_THRESHOLD, settings.RECONCILIATION_TOLERANCE_PERCENT = "250.00", 1
    threshold, tolerance = conf.settings.RECONCILIATION_ALERT_THRESHOLD, conf.settings.RECONCILIATION_TOLERANCE_PERCENT
    assert (threshold, tolerance) == (Decimal("250.00"), Decimal(1)) and isinstance(threshold, Decimal)


def test_manage_py_check_exits_with_the_wrong_setting_named():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.development",
           "DUNNING_FINAL_ACTION": "explode"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert ("(payments.E002) DUNNING_FINAL_ACTION is 'explode': allowed: cancel_subscription, "
            "mark_uncollectible or leave_past_due.") in result.stderr
