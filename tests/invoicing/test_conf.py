"""Invoicing's settings are checked when the process starts; the operator's country has one default."""

import environ
import pytest

from billing.conf import BillingSettings
from invoicing import conf
from tests.helpers import settings_check


def test_the_default_settings_pass():
    assert settings_check("invoicing") == {}


@pytest.mark.parametrize("name, value, check_id, allowed", [
    ("INVOICE_GRACE_PERIOD_SECONDS", -1, "invoicing.E003", "at least 0"),
    ("INVOICE_NET_TERMS_DAYS", -30, "invoicing.E003", "at least 0"),
    ("INVOICE_NET_TERMS_DAYS", "30 days", "invoicing.E001", "whole number"),
    ("INVOICE_SERIES", "", "invoicing.E004", "must not be empty"),
    ("INVOICE_SERIES", "INV 2026", "invoicing.E005", "without spaces"),
    ("CREDIT_NOTE_SERIES", "C" * 17, "invoicing.E005", "at most 16 characters"),
    ("BILL_RUN_CHUNK_SIZE", 0, "invoicing.E003", "at least 1"),
    ("BILL_RUN_MAX_ATTEMPTS", 0, "invoicing.E003", "at least 1"),
    ("BILL_RUN_RETRY_BACKOFF_SECONDS", -600, "invoicing.E003", "at least 0"),
    ("UPCOMING_RENEWAL_DAYS", 0, "invoicing.E003", "at least 1"),
    ("FINANCE_ALERT_EMAILS", ["finance@example.com", "not an address"], "invoicing.E005", "is not an email"),
])
def test_a_wrong_value_is_named_with_what_it_allows(settings, name, value, check_id, allowed):
    setattr(settings, name, value)
    found = settings_check("invoicing")
    assert check_id in found, found
    assert found[check_id].startswith(f"{name} is ") and allowed in found[check_id]


def test_the_operator_country_has_one_default_wherever_it_is_read(settings, monkeypatch):
    monkeypatch.delenv("OPERATOR_COUNTRY", raising=False)
    from_environment = BillingSettings.from_environment(environ.Env())["OPERATOR_COUNTRY"]
    del settings.OPERATOR_COUNTRY  # a settings module that does not set it
    assert from_environment == conf.operator()["country"] == "FR"


def test_documents_show_the_operator_details_as_set(settings):
    settings.OPERATOR_NAME, settings.OPERATOR_COUNTRY, settings.OPERATOR_TAX_ID = "Acme GmbH", "DE", "DE123"
    settings.OPERATOR_LEGAL_NAME, settings.OPERATOR_IBAN = "", "DE89370400440532013000"
    operator = conf.operator()
    assert {key: operator[key] for key in ("name", "legal_name", "address", "tax_id", "currency", "country")} == {
        "name": "Acme GmbH", "legal_name": "Acme GmbH", "address": settings.OPERATOR_ADDRESS, "tax_id": "DE123",
        "currency": settings.OPERATOR_CURRENCY, "country": "DE"}
    assert operator["iban"] == "DE89 3704 0044 0532 0130 00"  # grouped by four, as printed
