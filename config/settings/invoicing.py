"""Invoicing: grace period, payment terms, number series, the operator's country and logo, bill-run
retries and who hears of a subscription a bill run could not bill."""

from .env import env

INVOICING = {
    "GRACE_PERIOD_SECONDS": env.int("INVOICE_GRACE_PERIOD_SECONDS", default=3600),
    "NET_TERMS_DAYS": env.int("INVOICE_NET_TERMS_DAYS", default=30),
    "INVOICE_SERIES": env.str("INVOICE_SERIES", default="INV"),
    "CREDIT_NOTE_SERIES": env.str("CREDIT_NOTE_SERIES", default="CN"),
    "OPERATOR_COUNTRY": env.str("OPERATOR_COUNTRY", default="FR"),
    "OPERATOR_LOGO": env.str("OPERATOR_LOGO", default=""),
    "BILL_RUN_CHUNK_SIZE": env.int("BILL_RUN_CHUNK_SIZE", default=200),
    "BILL_RUN_MAX_ATTEMPTS": env.int("BILL_RUN_MAX_ATTEMPTS", default=6),
    "BILL_RUN_RETRY_BACKOFF_SECONDS": env.int("BILL_RUN_RETRY_BACKOFF_SECONDS", default=600),
}
# Finance staff alerted when a bill run cannot bill a subscription (docs/invoicing.md, "Bill-run
# failures"); empty means PAYMENTS_FINANCE_EMAILS, then the Django ADMINS.
FINANCE_ALERT_EMAILS = env.list("FINANCE_ALERT_EMAILS", default=[])
