"""Billing's settings, each declared once (billing/app_settings.py explains the convention): the
feature flags, time travel and the operator's own details, which every app reads from here.

Read them as `conf.settings.NAME`, at call time; config/settings/features.py reads the environment.
"""

from __future__ import annotations

from billing.app_settings import (
    AppSettings,
    Flag,
    Setting,
    Text,
    hex_colour,
    iso_country,
    iso_currency,
)

# Each feature (the name the code and `GET /api/v1/meta/features` use) and the flag that switches it.
FEATURE_FLAGS = {
    "billing": "BILLING_ENABLED",
    "usage_metering": "USAGE_METERING_ENABLED",
    "invoicing": "INVOICING_ENABLED",
    "payments": "PAYMENTS_ENABLED",
    "reconciliation": "RECONCILIATION_ENABLED",
    "dunning": "DUNNING_ENABLED",
}


class BillingSettings(AppSettings):
    app_label = "billing"

    BILLING_ENABLED = Setting(Flag(), True, doc="catalog, subscriptions and the console's billing pages")
    USAGE_METERING_ENABLED = Setting(Flag(), True, doc="usage ingestion, quotas and alerts")
    INVOICING_ENABLED = Setting(Flag(), True, doc="bill runs and invoices")
    PAYMENTS_ENABLED = Setting(Flag(), True, doc="collection through the payment gateway")
    RECONCILIATION_ENABLED = Setting(Flag(), True, doc="the daily reconciliation against Stripe")
    DUNNING_ENABLED = Setting(Flag(), True, doc="retrying failed payments")

    # production.py turns it off unless the environment says otherwise.
    BILLING_CLOCK_TRAVEL = Setting(Flag(), True, default_note=", `false` in production", doc=(
        "whether `manage.py advance_clock` may move the billing clock (for every customer, never back)"))

    OPERATOR_NAME = Setting(Text(), "Example SaaS Ltd", required=True, doc=(
        "your company name on invoices and in the console"))
    OPERATOR_ADDRESS = Setting(Text(), "1 Example Street, 75001 Paris, France", doc="your address on invoices")
    OPERATOR_TAX_ID = Setting(Text(), "", doc="your tax id on invoices")
    OPERATOR_CURRENCY = Setting(Text(), "USD", rule=iso_currency, doc=(
        "the currency of operator-level figures (reconciliation alerts, revenue)"))
    # One default, the example operator's (whose address is in Paris).
    OPERATOR_COUNTRY = Setting(Text(), "FR", required=True, rule=iso_country, doc=(
        "your country (ISO 3166 alpha-2): decides the EU reverse charge on invoices"))
    OPERATOR_ACCENT_COLOR = Setting(Text(), "#2f5bea", required=True, rule=hex_colour, doc=(
        "the console's accent colour (links, buttons, the current page), as `#rrggbb`"))


settings = BillingSettings()


def feature_enabled(feature: str) -> bool:
    """Whether a feature (a key of FEATURE_FLAGS) is switched on."""
    return getattr(settings, FEATURE_FLAGS[feature])


def features() -> dict[str, bool]:
    return {feature: feature_enabled(feature) for feature in FEATURE_FLAGS}


def operator_details() -> dict:
    """The operator's own details as printed on invoices, emails and the console."""
    return {"name": settings.OPERATOR_NAME, "address": settings.OPERATOR_ADDRESS,
            "tax_id": settings.OPERATOR_TAX_ID, "currency": settings.OPERATOR_CURRENCY,
            "country": settings.OPERATOR_COUNTRY}
