"""Billing's settings, each declared once (billing/app_settings.py explains the convention): the
feature flags, time travel and the operator's own details, which every app reads from here; the
API's limits and key cache (billing/api/pipeline.py), the sign-in delays (billing/services/signin.py),
and the event stream.

Read them as `conf.settings.NAME`, at call time; config/settings/features.py reads the environment.
"""

from __future__ import annotations

import re
from pathlib import Path

from billing.app_settings import (
    AppSettings,
    Flag,
    Setting,
    Text,
    TextList,
    WholeNumber,
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


OVERDUE_FINAL_ACTIONS = ("pause_subscription", "cancel_subscription", "none")
_NATS_NAME = re.compile(r"^[^\s.*>/\\]+$")
_NATS_TOKEN = re.compile(r"^[^\s.*>]+$")


def _nats_urls(value: str) -> str | None:
    for url in filter(None, (part.strip() for part in value.split(","))):
        if not re.match(r"^(nats|tls|ws|wss)://[^\s/]+", url):
            return "it must be nats://host:port (or tls://, ws://, wss://), comma-separated for several servers"
    return None


def _nats_name(value: str) -> str | None:
    return None if _NATS_NAME.match(value) else "a stream name has no spaces, dots, *, > or slashes"


def _nats_prefix(value: str) -> str | None:
    if all(_NATS_TOKEN.match(token) for token in value.split(".")):
        return None
    return "it must be subject tokens joined by dots, without spaces, * or >"
def _iban(value: str) -> str | None:
    from stdnum import iban

    return None if not value or iban.is_valid(value) else "it must be a valid IBAN (checked with its check digits)"


def _bic(value: str) -> str | None:
    from stdnum import bic

    return None if not value or bic.is_valid(value) else "it must be a valid BIC (8 or 11 characters)"


def _sink_problem(paths: list[str]) -> str | None:
    from billing.sinks import sink_path_problem  # imports models: only once the apps are loaded

    return sink_path_problem(paths)


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
    OPERATOR_LEGAL_NAME = Setting(Text(), "", doc=(
        "your registered legal name on invoices and credit notes, when it differs from `OPERATOR_NAME`"))
    OPERATOR_LEGAL_FORM = Setting(Text(), "", doc=(
        "your legal form and share capital as the law asks them printed (`SAS au capital de 10 000 €`, "
        "`GmbH`); empty: not printed"))
    OPERATOR_ADDRESS = Setting(Text(), "1 Example Street", doc=(
        "your street address on invoices: one or more lines, separated by newlines or ` / `"))
    OPERATOR_POSTAL_CODE = Setting(Text(), "75001", doc="the postal code of your address")
    OPERATOR_CITY = Setting(Text(), "Paris", doc="the city of your address")
    OPERATOR_TAX_ID = Setting(Text(), "", doc="your VAT number on invoices (`FR40303265045`)")
    OPERATOR_REGISTRATION_ID = Setting(Text(), "", doc=(
        "your company registration as printed on invoices (`RCS Paris 303 265 045`, `SIRET 303 265 045 00018`, "
        "`HRB 12345 B, Amtsgericht Berlin`)"))
    OPERATOR_IBAN = Setting(Text(), "", rule=_iban, doc=(
        "the IBAN customers pay invoices by bank transfer to (printed on invoices; checked)"))
    OPERATOR_BIC = Setting(Text(), "", rule=_bic, doc="the BIC of that account (printed beside the IBAN; checked)")
    OPERATOR_LATE_PAYMENT_TERMS = Setting(Text(), "", doc=(
        "your late-payment terms on invoices; empty: a French operator (`OPERATOR_COUNTRY=FR`) prints the "
        "statutory ones (penalties at three times the legal interest rate, the €40 recovery indemnity, no "
        "early-payment discount), others print none"))
    OPERATOR_INVOICE_FOOTER = Setting(Text(), "", doc=(
        "a line printed at the foot of every invoice and credit-note page (contact, website)"))
    OPERATOR_CURRENCY = Setting(Text(), "USD", rule=iso_currency, doc=(
        "the currency of operator-level figures (reconciliation alerts, revenue)"))
    # One default, the example operator's (whose address is in Paris).
    OPERATOR_COUNTRY = Setting(Text(), "FR", required=True, rule=iso_country, doc=(
        "your country (ISO 3166 alpha-2): decides the EU reverse charge on invoices"))
    OPERATOR_ACCENT_COLOR = Setting(Text(), "#2f5bea", required=True, rule=hex_colour, doc=(
        "the console's accent colour (links, buttons, the current page), as `#rrggbb`"))
    OPERATOR_LOGO = Setting(Text(), "", doc=(
        "a logo drawn on invoice PDFs and in the console's header: a path under `static/`, or an absolute path"))

    # Rules over the settings together (only the operator's logo has one); the fields go on below.
    def check_together(self) -> list:
        logo = self.OPERATOR_LOGO
        if logo and not logo_path(logo).exists():
            return [self.warning(f"OPERATOR_LOGO is {logo!r}, but there is no such file: PDFs and the console "
                                 "are drawn without a logo.", "OPERATOR_LOGO"), *self.overdue_problems()]
        return self.overdue_problems()

    # The event stream (billing/streams/nats.py, docs/events-stream.md).
    NATS_URL = Setting(Text(), "", rule=_nats_urls, doc=(
        "the NATS server the event stream publishes to (`nats://host:4222`; several, comma-separated, for a "
        "cluster); empty: the NATS sink publishes nothing"))
    NATS_STREAM = Setting(Text(), "BILLING_EVENTS", required=True, rule=_nats_name, doc=(
        "the JetStream stream that keeps the events; created on first use when missing"))
    NATS_SUBJECT_PREFIX = Setting(Text(), "events", required=True, rule=_nats_prefix, doc=(
        "the first tokens of each event's subject: `<prefix>.<event type>`, such as `events.billing.invoice.paid`"))
    NATS_TIMEOUT_SECONDS = Setting(WholeNumber(), 5, minimum=1, maximum=60, doc=(
        "how long connecting to NATS, or waiting for the stream to acknowledge an event, may take; past it the "
        "outbox retries the event later"))
    NATS_DUPLICATE_WINDOW_SECONDS = Setting(WholeNumber(), 7200, minimum=1, doc=(
        "the duplicate window of a stream the sink creates: an event published again within it (same event id) "
        "is dropped"))
    # Each class is imported by the start-up check, and built once per process by the outbox.
    EVENT_SINKS = Setting(TextList(), ["webhooks.sinks.WebhookSink", "billing.streams.nats.NatsJetStreamSink"],
                          rule=_sink_problem, doc=(
        "comma-separated dotted paths of the event sinks every recorded event is handed to after the "
        "in-process handlers (`docs/events.md`, \"Writing a sink\"); the NATS sink publishes nothing while "
        "`NATS_URL` is empty; an empty list sends events nowhere else"))

    # Jobs (docs/scaling.md): one beat at a time (billing/beat_lock.py).
    BEAT_LOCK_TTL_SECONDS = Setting(WholeNumber(), 60, minimum=0, maximum=3600, doc=(
        "how long the scheduling beat's lease in Redis lasts without renewal: a second `celery beat` waits in "
        "standby and takes over within this time of the first one dying; `0` turns the lease off"))

    # The API (docs/api.md); config/settings/api.py derives DATA_UPLOAD_MAX_MEMORY_SIZE from the body limit.
    API_THROTTLE_RATE_PER_MINUTE = Setting(WholeNumber(), 60000, minimum=1, doc=(
        "requests per minute per API key before 429"))
    API_IDEMPOTENCY_TTL_SECONDS = Setting(WholeNumber(), 24 * 3600, minimum=1, doc=(
        "how long a response to a POST with `Idempotency-Key` is replayed"))
    API_KEY_CACHE_SECONDS = Setting(WholeNumber(), 30, minimum=0, doc=(
        "how long an authenticated API key stays cached in Redis for the fast lanes of the quota check and of "
        "usage ingestion (`docs/metering.md`); a change to the key or its account drops it at once; `0` turns "
        "both lanes off"))
    API_MAX_BODY_BYTES = Setting(WholeNumber(), 1024 * 1024, minimum=1024, doc=(
        "the largest request body an API endpoint or the Stripe webhook reads (1 MiB); a larger one answers 413 "
        "before it is read. Usage batches admit more, derived from `METERING_MAX_BATCH` and "
        "`METERING_MAX_PROPERTIES_BYTES` (`docs/api.md`, \"Limits and dependencies\")"))

    # Console and admin sign-in: past the limit, each further attempt waits 2, 4, 8 ... seconds (up to the
    # maximum) after the last failure; nothing locks a username.
    SIGNIN_FAILURE_LIMIT = Setting(WholeNumber(), 5, minimum=1, doc=(
        "failed console/admin sign-ins for one username from one address before each further attempt of that "
        "pair waits 2, 4, 8 … seconds after the last failure; other addresses are never delayed by them "
        "(`docs/security.md`)"))
    SIGNIN_ADDRESS_FAILURE_LIMIT = Setting(WholeNumber(), 30, minimum=1, doc=(
        "failed sign-ins from one address, whatever the usernames, before every attempt from it waits the same "
        "way (password spraying); successful sign-ins do not count"))
    SIGNIN_MAX_DELAY_SECONDS = Setting(WholeNumber(), 900, minimum=1, doc="the longest wait between attempts")
    SIGNIN_FAILURE_WINDOW_SECONDS = Setting(WholeNumber(), 3600, minimum=1, doc=(
        "failures are forgotten this long after the last one (and pruned hourly)"))

    # Console links that carry a token (billing/services/members.py, docs/console.md).
    CONSOLE_INVITATION_DAYS = Setting(WholeNumber(), 7, minimum=1, maximum=90, doc=(
        "how many days an invitation to join an account (sent from the console's Members page) stays valid"))
    CONSOLE_PORTAL_SESSION_MINUTES = Setting(WholeNumber(), 5, minimum=1, maximum=60, doc=(
        "how many minutes a one-time console link made by `POST /api/v1/portal-sessions` stays valid"))

    # The overdue policy (docs/payments.md, "Collections"): days past the due date of an account's oldest
    # unpaid invoice; a plan may have its own (PlanOverduePolicy, in the admin).
    OVERDUE_WARNING_DAYS = Setting(WholeNumber(), 7, minimum=1, doc=(
        "days past due after which an account is in `warning` (console banner, email)"))
    OVERDUE_RESTRICTED_DAYS = Setting(WholeNumber(), 14, minimum=1, doc=(
        "days past due after which an account is `restricted`: quota checks refuse its soft-limit metrics"))
    OVERDUE_SUSPENDED_DAYS = Setting(WholeNumber(), 30, minimum=1, doc=(
        "days past due after which an account is `suspended`: quota checks refuse everything and the final "
        "action is taken"))
    OVERDUE_FINAL_ACTION = Setting(Text(), "pause_subscription", choices=OVERDUE_FINAL_ACTIONS, doc=(
        "what suspension does to the account's subscriptions: `pause_subscription` (resumed when it pays), "
        "`cancel_subscription` or `none`"))

    def overdue_problems(self) -> list:
        if not self.OVERDUE_WARNING_DAYS < self.OVERDUE_RESTRICTED_DAYS < self.OVERDUE_SUSPENDED_DAYS:
            return [self.error("The overdue days must increase: OVERDUE_WARNING_DAYS < OVERDUE_RESTRICTED_DAYS < "
                               "OVERDUE_SUSPENDED_DAYS.", "OVERDUE_WARNING_DAYS", "OVERDUE_RESTRICTED_DAYS",
                               "OVERDUE_SUSPENDED_DAYS")]
        return []


settings = BillingSettings()


def logo_path(logo: str) -> Path:
    """Where the OPERATOR_LOGO file is: an absolute path as it is, else a path under `static/`."""
    from django.conf import settings as django_settings

    path = Path(logo)
    return path if path.is_absolute() else Path(django_settings.BASE_DIR) / "static" / logo


def feature_enabled(feature: str) -> bool:
    """Whether a feature (a key of FEATURE_FLAGS) is switched on."""
    return getattr(settings, FEATURE_FLAGS[feature])


def features() -> dict[str, bool]:
    return {feature: feature_enabled(feature) for feature in FEATURE_FLAGS}


def operator_details() -> dict:
    """The operator's own details as printed on invoices, emails and the console (and frozen on each
    finalized invoice and credit note: `invoicing.legal` reads them back)."""
    from stdnum import bic, iban

    return {"name": settings.OPERATOR_NAME, "legal_name": settings.OPERATOR_LEGAL_NAME or settings.OPERATOR_NAME,
            "legal_form": settings.OPERATOR_LEGAL_FORM, "address": settings.OPERATOR_ADDRESS,
            "postal_code": settings.OPERATOR_POSTAL_CODE, "city": settings.OPERATOR_CITY,
            "country": settings.OPERATOR_COUNTRY, "tax_id": settings.OPERATOR_TAX_ID,
            "registration_id": settings.OPERATOR_REGISTRATION_ID,
            "iban": iban.format(settings.OPERATOR_IBAN) if settings.OPERATOR_IBAN else "",
            "bic": bic.compact(settings.OPERATOR_BIC) if settings.OPERATOR_BIC else "",
            "late_payment_terms": settings.OPERATOR_LATE_PAYMENT_TERMS,
            "footer": settings.OPERATOR_INVOICE_FOOTER, "currency": settings.OPERATOR_CURRENCY}
