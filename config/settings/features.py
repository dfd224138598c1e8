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

OPERATOR = {
    "name": env.str("OPERATOR_NAME", default="Example SaaS Ltd"),
    "address": env.str("OPERATOR_ADDRESS", default="1 Example Street, 75001 Paris, France"),
    "tax_id": env.str("OPERATOR_TAX_ID", default=""),
    "currency": env.str("OPERATOR_CURRENCY", default="USD"),
}
