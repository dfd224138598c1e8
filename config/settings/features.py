"""Feature flags and the operator's own details, read from the environment."""

from .env import env

FEATURES = {
    "billing": env.bool("BILLING_ENABLED", default=True),
    "usage_metering": env.bool("USAGE_METERING_ENABLED", default=True),
    "invoicing": env.bool("INVOICING_ENABLED", default=True),
    "payments": env.bool("PAYMENTS_ENABLED", default=True),
    "reconciliation": env.bool("RECONCILIATION_ENABLED", default=True),
    "dunning": env.bool("DUNNING_ENABLED", default=True),
}

# `manage.py advance_clock` moves the billing clock for every customer and never back:
# for demos and tests only. production.py turns it off unless this says otherwise.
BILLING_CLOCK_TRAVEL = env.bool("BILLING_CLOCK_TRAVEL", default=True)

OPERATOR = {
    "name": env.str("OPERATOR_NAME", default="Example SaaS Ltd"),
    "address": env.str("OPERATOR_ADDRESS", default="1 Example Street, 75001 Paris, France"),
    "tax_id": env.str("OPERATOR_TAX_ID", default=""),
    "currency": env.str("OPERATOR_CURRENCY", default="USD"),
}
