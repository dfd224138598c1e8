"""Invoicing's settings, each declared once (billing/app_settings.py explains the convention).

Read them as `conf.settings.NAME`, at call time; config/settings/invoicing.py reads the environment.
The operator's own details and branding (name, address, country, logo ...) are billing's: billing/conf.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

from billing import conf as billing_conf
from billing.app_settings import (
    AppSettings,
    Setting,
    Text,
    TextList,
    WholeNumber,
    WholeNumberList,
    email_addresses,
)

SERIES_LENGTH = 16  # Invoice.series, CreditNote.series and NumberSequence.series hold this many characters


def _series(value: str) -> str | None:
    if len(value) > SERIES_LENGTH or re.search(r"\s", value):
        return f"it must be at most {SERIES_LENGTH} characters, without spaces"
    return None


class InvoicingSettings(AppSettings):
    app_label = "invoicing"

    INVOICE_GRACE_PERIOD_SECONDS = Setting(WholeNumber(), 3600, minimum=0, doc=(
        "how long a bill run's drafts wait (for late usage) before they are finalized"))
    INVOICE_NET_TERMS_DAYS = Setting(WholeNumber(), 30, minimum=0, doc=(
        "days to pay, unless an account has its own terms"))
    INVOICE_SERIES = Setting(Text(), "INV", required=True, rule=_series, doc=(
        "prefix of invoice numbers (`INV-2026-000042`)"))
    CREDIT_NOTE_SERIES = Setting(Text(), "CN", required=True, rule=_series, doc=(
        "prefix of credit-note numbers"))
    BILL_RUN_CHUNK_SIZE = Setting(WholeNumber(), 200, minimum=1, doc=(
        "subscriptions per Celery task of a bill run"))
    # A subscription a bill run cannot bill is tried this many times in all: each retry by the first
    # run after a wait of BACKOFF, 2 x BACKOFF, 4 x BACKOFF ... (at most a day) since the last failure.
    BILL_RUN_MAX_ATTEMPTS = Setting(WholeNumber(), 6, minimum=1, doc=(
        "attempts in all at billing a subscription whose renewal fails, before it waits for finance "
        "(*Retry now* in the admin)"))
    BILL_RUN_RETRY_BACKOFF_SECONDS = Setting(WholeNumber(), 600, minimum=0, doc=(
        "wait before the first retry of such a subscription, doubled after each failed attempt (at most a "
        "day); the retry is made by the first bill run after it"))
    UPCOMING_RENEWAL_DAYS = Setting(WholeNumber(), 7, minimum=1, doc=(
        "how many days before a period of a month or more renews its customer is reminded, with the "
        "estimated invoice"))
    INVOICE_REMINDER_DAYS_BEFORE_DUE = Setting(WholeNumberList(), [3], minimum=1, doc=(
        "days before its due date on which an unpaid invoice the customer pays themselves is recalled "
        "(`send_invoice`, or no card to charge); empty: none"))
    INVOICE_REMINDER_DAYS_AFTER_DUE = Setting(WholeNumberList(), [1, 7, 14], minimum=1, doc=(
        "days after its due date on which an unpaid invoice is recalled, each once, never after payment; "
        "empty: none"))
    FINANCE_ALERT_EMAILS = Setting(TextList(), [], rule=email_addresses,
                                   default_note=" (`PAYMENTS_FINANCE_EMAILS`, else Django's `ADMINS`)", doc=(
        "comma-separated; who is emailed when a bill run cannot bill a subscription (`docs/invoicing.md`, "
        "\"When a subscription cannot be billed\") and when a webhook endpoint is disabled (`docs/events.md`)"))


settings = InvoicingSettings()


def reminder_steps() -> list[int]:
    """The reminder schedule as days from the due date, in order (-3 is three days before)."""
    return sorted({-d for d in settings.INVOICE_REMINDER_DAYS_BEFORE_DUE}
                  | set(settings.INVOICE_REMINDER_DAYS_AFTER_DUE))


def grace_period() -> timedelta:
    """How long a bill run's drafts wait for late usage before they are finalized."""
    return timedelta(seconds=settings.INVOICE_GRACE_PERIOD_SECONDS)


def operator() -> dict:
    """The operator's own details as printed on documents (and kept on each finalized invoice)."""
    return billing_conf.operator_details()
