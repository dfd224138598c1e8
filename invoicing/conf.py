"""Invoicing settings: `settings.INVOICING` (a dict) over these defaults."""

from django.conf import settings

DEFAULTS = {
    "GRACE_PERIOD_SECONDS": 3600,  # drafts finalize this long after the bill run, so late usage can land
    "NET_TERMS_DAYS": 30,
    "INVOICE_SERIES": "INV",
    "CREDIT_NOTE_SERIES": "CN",
    "OPERATOR_COUNTRY": "",  # ISO alpha-2; decides EU reverse charge
    "OPERATOR_LOGO": "",  # a path under static/ or an absolute file path, drawn on PDFs
    "BILL_RUN_CHUNK_SIZE": 200,
    # A subscription a bill run cannot bill is tried this many times in all: each retry by the first
    # run after a wait of BACKOFF, 2 x BACKOFF, 4 x BACKOFF ... (at most a day) since the last failure.
    "BILL_RUN_MAX_ATTEMPTS": 6,
    "BILL_RUN_RETRY_BACKOFF_SECONDS": 600,
    "UPCOMING_RENEWAL_DAYS": 7,
    "PDF_STORAGE_PREFIX": "",
}


def get(name: str):
    return getattr(settings, "INVOICING", {}).get(name, DEFAULTS[name])


def operator() -> dict:
    """The operator's own details as printed on documents."""
    details = dict(getattr(settings, "OPERATOR", {}))
    details.setdefault("country", get("OPERATOR_COUNTRY"))
    if not details.get("country"):
        details["country"] = get("OPERATOR_COUNTRY")
    return details
