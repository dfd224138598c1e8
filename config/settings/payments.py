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

# Dunning: retries this many days after the first failure (at most 4 retries), then the final action:
# "cancel_subscription", "mark_uncollectible" or "leave_past_due".
DUNNING_RETRY_DAYS = [int(day) for day in env.list("DUNNING_RETRY_DAYS", default=["1", "3", "5", "7"])][:4]
DUNNING_FINAL_ACTION = env.str("DUNNING_FINAL_ACTION", default="cancel_subscription")
# A payment waiting for 3-D Secure is canceled (and counts as a failure) after this many days.
PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS = env.int("PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS", default=7)

# Reconciliation: amounts may differ by this percentage; above this absolute total (minor units of
# OPERATOR_CURRENCY, default 1,000.00) finance is alerted.
RECONCILIATION_TOLERANCE_PERCENT = env.str("RECONCILIATION_TOLERANCE_PERCENT", default="0.5")
# In major units of the operator's currency (1,000.00 USD, or ¥1,000 for a JPY operator).
RECONCILIATION_ALERT_THRESHOLD = env.str("RECONCILIATION_ALERT_THRESHOLD", default="1000.00")
# Who gets finance alerts (disputes, reconciliation); empty means the Django ADMINS.
PAYMENTS_FINANCE_EMAILS = env.list("PAYMENTS_FINANCE_EMAILS", default=[])
# Where the console loads Stripe.js from (the same URL for test and live keys).
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
