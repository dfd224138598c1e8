"""Payments: which gateway moves money, Stripe's keys and the knobs of failure handling.

Every variable is documented in docs/payments.md. Nothing here builds a client:
the gateway is created on first use (payments.gateways.gateway()).
"""

from .env import env

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Only for a stand-in such as localstripe (tests) or an egress proxy; empty means api.stripe.com.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)

# "stripe", "manual" (bank transfers recorded by finance) or "sandbox" (offline demo).
# Without a Stripe key the default is the sandbox, so `make run` works offline.
PAYMENTS_GATEWAY = env.str("PAYMENTS_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "sandbox")

PAYMENT_METHOD_EXPIRY_WARNING_DAYS = env.int("PAYMENT_METHOD_EXPIRY_WARNING_DAYS", default=30)
# Payment method types offered by the SetupIntent (Stripe names: card, sepa_debit, us_bank_account, ...).
PAYMENT_METHOD_TYPES = env.list("PAYMENT_METHOD_TYPES", default=["card"])
