"""Payments' settings, each declared once (billing/app_settings.py explains the convention): which
gateway moves money, Stripe's keys and the knobs of failure handling. docs/payments.md explains the
Stripe setup. Nothing here builds a client: the gateway is created on first use.

Read them as `conf.settings.NAME`, at call time; config/settings/payments.py reads the environment.
"""

from __future__ import annotations

from decimal import Decimal

from billing import conf as billing_conf
from billing.app_settings import (
    AppSettings,
    DecimalNumber,
    Setting,
    Text,
    TextList,
    WholeNumber,
    WholeNumberList,
    email_addresses,
    web_address,
)

# "manual": bank transfers recorded by finance; "sandbox": an offline demo.
GATEWAYS = ("stripe", "manual", "sandbox")
FINAL_ACTIONS = ("cancel_subscription", "mark_uncollectible", "leave_past_due")
DISPUTE_LOST_ACTIONS = ("reopen", "write_off")
MOST_RETRIES = 4


def _increasing(days: list[int]) -> str | None:
    if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
        return "the days must increase (days after the first failure, such as 1,3,5,7)"
    return None


class PaymentsSettings(AppSettings):
    app_label = "payments"

    STRIPE_SECRET_KEY = Setting(Text(), "", doc="Stripe secret key (`sk_live_…` / `sk_test_…`)")
    STRIPE_PUBLISHABLE_KEY = Setting(Text(), "", doc="Stripe publishable key, used by Stripe.js in the console")
    STRIPE_WEBHOOK_SECRET = Setting(Text(), "", doc=(
        "the signing secret of the `/webhooks/stripe/` endpoint (`whsec_…`); empty refuses every webhook"))
    STRIPE_API_BASE = Setting(Text(), "", rule=web_address, default_note=" (api.stripe.com)", doc=(
        "another Stripe API address: a stand-in such as localstripe (tests) or an egress proxy"))
    STRIPE_TIMEOUT_SECONDS = Setting(WholeNumber(), 20, minimum=1, doc=(
        "timeout of each Stripe request; a timed-out payment stays pending for the janitor"))
    STRIPE_MAX_NETWORK_RETRIES = Setting(WholeNumber(), 2, minimum=0, doc=(
        "the SDK's automatic retries of failed requests (safe: every write carries an idempotency key)"))
    STRIPE_WEBHOOK_TOLERANCE_SECONDS = Setting(WholeNumber(), 300, minimum=1, doc=(
        "how old (or how far in the future) a signed webhook timestamp may be"))
    # Without a Stripe key the default is the sandbox, so `make run` works offline.
    PAYMENTS_GATEWAY = Setting(
        Text(), lambda values: "stripe" if values.STRIPE_SECRET_KEY else "sandbox", choices=GATEWAYS,
        default_note="`stripe` when `STRIPE_SECRET_KEY` is set, else `sandbox`", doc=(
            "which gateway moves money: `stripe`, `manual` (bank transfers recorded by finance) or `sandbox` "
            "(offline demo)"))
    STRIPE_JS_URL = Setting(Text(), "https://js.stripe.com/v3/", required=True, rule=web_address, doc=(
        "where the console loads Stripe.js from"))

    PAYMENT_METHOD_EXPIRY_WARNING_DAYS = Setting(WholeNumber(), 30, minimum=0, doc=(
        "days before a card expires that its owners are warned"))
    PAYMENT_METHOD_TYPES = Setting(TextList(), ["card"], required=True, doc=(
        "payment method types offered when adding one (Stripe names: `card`, `sepa_debit`, "
        "`us_bank_account`, …)"))
    PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS = Setting(WholeNumber(), 7, minimum=1, doc=(
        "days a payment waiting for 3-D Secure stays open before it is canceled (which counts as a failure)"))
    HOSTED_INVOICE_RATE = Setting(WholeNumber(), 60, minimum=1, doc=(
        "requests a minute one client address may make to the hosted invoice pages (`/invoices/hosted/…`)"))

    DUNNING_RETRY_DAYS = Setting(
        WholeNumberList(), [1, 3, 5, 7], required=True, minimum=1, most_items=MOST_RETRIES, rule=_increasing,
        doc=f"days after the first failure on which a failed payment is retried ({MOST_RETRIES} retries at most)")
    DUNNING_FINAL_ACTION = Setting(Text(), "cancel_subscription", choices=FINAL_ACTIONS, doc=(
        "after the last failed retry: `cancel_subscription`, `mark_uncollectible` or `leave_past_due`"))

    PAYMENTS_DISPUTE_LOST = Setting(Text(), "reopen", choices=DISPUTE_LOST_ACTIONS, doc=(
        "what a lost dispute does to its invoice: `reopen` (the amount taken back is due again) or "
        "`write_off` (the invoice becomes uncollectible for it)"))

    RECONCILIATION_TOLERANCE_PERCENT = Setting(DecimalNumber(), Decimal("0.5"), minimum=0, maximum=100, doc=(
        "amount differences up to this percentage are not discrepancies"))
    RECONCILIATION_ALERT_THRESHOLD = Setting(DecimalNumber(), Decimal("1000.00"), minimum=0, doc=(
        "total absolute discrepancy, in major units of `OPERATOR_CURRENCY` (¥1,000 for a yen operator), "
        "above which finance is alerted"))
    PAYMENTS_FINANCE_EMAILS = Setting(TextList(), [], rule=email_addresses, default_note=" (Django's `ADMINS`)",
                                      doc=("who receives dispute, reconciliation, unapplied-payment, "
                                           "failed-refund and ledger alerts"))

    def check_together(self) -> list:
        from pricing.money import TooManyDecimals, UnknownCurrency, decimals_message, to_minor

        found = []
        if self.PAYMENTS_GATEWAY == "stripe" and not self.STRIPE_SECRET_KEY:
            found.append(self.error("PAYMENTS_GATEWAY is 'stripe' but STRIPE_SECRET_KEY is empty: no payment "
                                    "could be taken.", "STRIPE_SECRET_KEY", "PAYMENTS_GATEWAY"))
        if self.PAYMENTS_GATEWAY == "stripe" and not self.STRIPE_WEBHOOK_SECRET:
            found.append(self.warning("STRIPE_WEBHOOK_SECRET is empty: every Stripe webhook is refused, so "
                                      "payment outcomes arrive only through reconciliation.",
                                      "STRIPE_WEBHOOK_SECRET"))
        currency = billing_conf.settings.OPERATOR_CURRENCY.upper()
        try:
            to_minor(self.RECONCILIATION_ALERT_THRESHOLD, currency)
        except TooManyDecimals:
            found.append(self.error(
                f"RECONCILIATION_ALERT_THRESHOLD is '{self.RECONCILIATION_ALERT_THRESHOLD}', in major units of "
                f"OPERATOR_CURRENCY: {decimals_message(currency)}", "RECONCILIATION_ALERT_THRESHOLD"))
        except UnknownCurrency:
            pass  # billing's own check names OPERATOR_CURRENCY
        return found


settings = PaymentsSettings()
