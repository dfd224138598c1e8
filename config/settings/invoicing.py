"""Invoicing: grace period, payment terms, number series, the operator's country and logo."""

from .env import env

INVOICING = {
    "GRACE_PERIOD_SECONDS": env.int("INVOICE_GRACE_PERIOD_SECONDS", default=3600),
    "NET_TERMS_DAYS": env.int("INVOICE_NET_TERMS_DAYS", default=30),
    "INVOICE_SERIES": env.str("INVOICE_SERIES", default="INV"),
    "CREDIT_NOTE_SERIES": env.str("CREDIT_NOTE_SERIES", default="CN"),
    "OPERATOR_COUNTRY": env.str("OPERATOR_COUNTRY", default="FR"),
    "OPERATOR_LOGO": env.str("OPERATOR_LOGO", default=""),
    "BILL_RUN_CHUNK_SIZE": env.int("BILL_RUN_CHUNK_SIZE", default=200),
}
