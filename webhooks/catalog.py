"""The event catalog: every `billing.*` event, what it means, the JSON Schema of its `data` and an example.

One source for three readers: the webhook sink (only catalog events leave the server, and an
endpoint subscribes to catalog types), docs/events.md (`manage.py events_catalog --markdown` writes
its catalog section) and the OpenAPI document's `webhooks` section (webhooks/openapi.py).
tests/webhooks/test_event_catalog.py checks that every event type the code records is here, and
that the events recorded by the main flows match their schemas.

Every delivery wraps `data` in the same envelope (`ENVELOPE`): our event `id` (also the
`webhook-id` header), `type`, `timestamp`, `api_version`, `account_id` and `object_version`,
which grows with every change of the object, so a receiver can drop an update older than one
it already applied. Schemas list what each event carries; `required` is what every event of the
type has, and events may gain properties (never lose or retype one) within an API version.
"""

from __future__ import annotations

from dataclasses import dataclass

ID = {"type": "integer", "minimum": 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
MONEY = {"type": "integer", "description": "Minor units of `currency` (9900 = 99.00 USD)."}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217."}
MOMENT = {"type": ["string", "null"], "format": "date-time"}
DAY = {"type": ["string", "null"], "format": "date"}
FLAG = {"type": "boolean"}
OVERDUE_STATE = {"enum": ["good", "warning", "restricted", "suspended"]}
COUNT = {"type": ["integer", "null"], "minimum": 0}


def shape(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": True}


@dataclass(frozen=True)
class EventType:
    type: str
    summary: str
    object: str  # what it is about
    object_key: str  # the key of `data` that names the object
    data: dict  # JSON Schema of `data`
    example: dict
    # None: recorded by the code today; else why not yet, and what to watch meanwhile.
    planned: str | None = None


# --- the shapes the events share ------------------------------------------------------------------------------------

SUBSCRIPTION = shape({
    "subscription_id": ID, "account_id": ID, "action": {**TEXT, "description": (
        "What happened: created, changed, change_scheduled, cancel_scheduled, cancel_undone, renewed, "
        "paused, resumed, canceled, trial_ended, trial_will_end, past_due, activated, discount_applied, "
        "overrides_set, version_migrated ...")},
    "status": TEXT, "plan": TEXT, "plan_version_id": ID, "quantity": {"type": "integer", "minimum": 1},
    "current_period_start": MOMENT, "current_period_end": MOMENT, "cancel_at_period_end": FLAG,
    "reason": TEXT, "trial_end": MOMENT, "coupon": TEXT, "invoice_now": FLAG, "proration_behavior": TEXT,
    "scheduled_change": {"type": "object"}, "scheduled_change_applied": FLAG, "previous_period_end": MOMENT,
}, ["subscription_id", "action"])
SUBSCRIPTION_EXAMPLE = {
    "subscription_id": 42, "account_id": 7, "status": "active", "plan": "standard", "plan_version_id": 3,
    "quantity": 3, "current_period_start": "2026-11-01T00:00:00Z", "current_period_end": "2026-12-01T00:00:00Z",
    "cancel_at_period_end": False, "action": "created"}

INVOICE = shape({
    "invoice_id": ID, "account_id": ID, "subscription_id": NULLABLE_ID, "number": NULLABLE_TEXT,
    "status": {"enum": ["draft", "open", "paid", "void", "uncollectible", "disputed"]}, "currency": CURRENCY,
    "total": MONEY, "amount_due": MONEY, "amount_paid": MONEY,
    "collection_method": {"enum": ["charge_automatically", "send_invoice"]}, "due_date": DAY,
    "paid_out_of_band": FLAG, "paid_by_credit_note": TEXT, "reason": TEXT, "days_overdue": {"type": "integer"},
    "dispute_reference": TEXT, "outcome": TEXT, "reversed_amount": MONEY, "written_off": FLAG,
    "step": {"type": "integer"}, "days_until_due": {"type": "integer", "minimum": 0},
}, ["invoice_id", "account_id", "number", "status", "currency", "total", "amount_due", "amount_paid"])
INVOICE_EXAMPLE = {
    "invoice_id": 42, "account_id": 7, "subscription_id": 12, "number": "INV-2026-000042", "status": "open",
    "currency": "USD", "total": 11880, "amount_due": 11880, "amount_paid": 0,
    "collection_method": "charge_automatically", "due_date": "2026-12-01"}

PAYMENT = shape({
    "payment_id": NULLABLE_ID, "invoice_id": ID, "account_id": ID, "amount": MONEY, "currency": CURRENCY,
    "status": TEXT, "attempt": COUNT, "gateway": TEXT, "reference": TEXT, "failure_code": TEXT,
    "failure_message": TEXT, "amount_refunded": MONEY, "next_retry_at": MOMENT, "update_payment_method_url": TEXT,
    "action_expires_at": MOMENT,
    "action_url": TEXT, "reason": TEXT, "refund_id": ID, "refund_amount": MONEY, "credit_note_id": NULLABLE_ID,
    "credited": MONEY, "applied_to": {"type": "array", "items": {"type": "object"}},
}, ["payment_id", "invoice_id", "account_id", "amount", "currency", "status"])
PAYMENT_EXAMPLE = {
    "payment_id": 314, "invoice_id": 42, "account_id": 7, "amount": 11880, "currency": "USD",
    "status": "succeeded", "attempt": 1, "gateway": "stripe", "reference": "pay_42_1", "failure_code": "",
    "failure_message": "", "amount_refunded": 0}

DISPUTE = shape({
    **PAYMENT["properties"], "dispute_id": ID, "gateway_dispute_id": TEXT, "dispute_amount": MONEY,
    "evidence_due_by": MOMENT, "outcome": TEXT, "reversed_amount": MONEY,
}, ["payment_id", "invoice_id", "account_id", "dispute_id"])

CREDIT_NOTE = shape({
    "credit_note_id": ID, "number": TEXT, "invoice_id": ID, "invoice_number": NULLABLE_TEXT,
    "currency": CURRENCY, "total": MONEY, "credit_method": TEXT, "reason": TEXT,
}, ["credit_note_id", "number", "invoice_id", "currency", "total"])
CREDIT_NOTE_EXAMPLE = {
    "credit_note_id": 5, "number": "CN-2026-000005", "invoice_id": 42, "invoice_number": "INV-2026-000042",
    "currency": "USD", "total": 2376, "credit_method": "refund", "reason": "Service outage on 14 November"}

PAYMENT_METHOD = shape({
    "account_id": ID, "payment_method_id": ID, "type": TEXT, "brand": TEXT, "last4": TEXT, "is_default": FLAG,
    "expires_on": DAY, "exp_month": COUNT, "exp_year": COUNT,
}, ["account_id", "payment_method_id", "type", "is_default"])
PAYMENT_METHOD_EXAMPLE = {"account_id": 7, "payment_method_id": 9, "type": "card", "brand": "visa",
                          "last4": "4242", "is_default": True}


def _subscription(name: str, summary: str, action: str, **extra) -> EventType:
    return EventType(f"billing.subscription.{name}", summary, "subscription", "subscription_id", SUBSCRIPTION,
                     {**SUBSCRIPTION_EXAMPLE, "action": action, **extra})


def _invoice(name: str, summary: str, *, planned: str | None = None, **extra) -> EventType:
    return EventType(f"billing.invoice.{name}", summary, "invoice", "invoice_id", INVOICE,
                     {**INVOICE_EXAMPLE, **extra}, planned=planned)


def _payment(name: str, summary: str, **extra) -> EventType:
    return EventType(f"billing.payment.{name}", summary, "payment", "payment_id", PAYMENT,
                     {**PAYMENT_EXAMPLE, **extra})


def _method(name: str, summary: str, **extra) -> EventType:
    return EventType(f"billing.payment_method.{name}", summary, "payment_method", "payment_method_id",
                     PAYMENT_METHOD, {**PAYMENT_METHOD_EXAMPLE, **extra})


EVENTS: list[EventType] = [
    EventType("billing.account.created", "A customer account was created.", "account", "account_id",
              shape({"account_id": ID, "name": TEXT, "external_id": NULLABLE_TEXT}, ["account_id", "name"]),
              {"account_id": 7, "name": "Acme Corp", "external_id": "acme"}),
    EventType("billing.customer.updated", "An account's billing profile changed (the fields named).", "account",
              "account_id", shape({"account_id": ID, "fields": {"type": "array", "items": TEXT}},
                                  ["account_id", "fields"]),
              {"account_id": 7, "fields": ["address_line1", "tax_id"]}),
    EventType("billing.account.overdue_state_changed",
              "An account's standing under the overdue policy changed (`good`, `warning`, `restricted`, "
              "`suspended`): by the days past due of its oldest unpaid invoice, or back to `good` once it paid "
              "everything due.", "account", "account_id",
              shape({"account_id": ID, "previous_state": OVERDUE_STATE, "overdue_state": OVERDUE_STATE,
                     "days_past_due": {"type": "integer", "minimum": 0}, "reason": TEXT},
                    ["account_id", "previous_state", "overdue_state", "days_past_due"]),
              {"account_id": 7, "previous_state": "warning", "overdue_state": "restricted", "days_past_due": 14,
               "reason": "oldest unpaid invoice due 2026-12-01"}),
    EventType("billing.plan.created", "A plan was added to the catalog.", "plan", "plan",
              shape({"plan": TEXT, "version": {"type": "integer", "minimum": 1}}, ["plan"]),
              {"plan": "standard", "version": 1}),
    EventType("billing.plan.updated", "A plan's terms or prices changed (`new_version`: existing subscribers "
              "keep theirs).", "plan", "plan",
              shape({"plan": TEXT, "version": {"type": "integer", "minimum": 1}, "new_version": FLAG}, ["plan"]),
              {"plan": "standard", "version": 2, "new_version": True}),
    _subscription("created", "A subscription started (trialing, active or incomplete).", "created"),
    _subscription("updated", "A subscription changed without ending: plan, seats, renewal, a scheduled change "
                  "or cancellation, a discount, its trial ending, past due and back (`action` says which).",
                  "changed", quantity=5),
    _subscription("paused", "A subscription was paused.", "paused", status="paused"),
    _subscription("resumed", "A paused subscription resumed.", "resumed"),
    _subscription("canceled", "A subscription ended (`reason`: asked, at period end, trial ended without a "
                  "payment method, incomplete expired).", "canceled", status="canceled",
                  reason="cancel_at_period_end"),
    _subscription("trial_will_end", "A trial ends in three days.", "trial_will_end", status="trialing",
                  trial_end="2026-11-04T00:00:00Z"),
    _invoice("created", "A draft invoice was made (a renewal, a plan change, finance): no number yet, and its "
             "lines and amounts can still change until `billing.invoice.finalized`.", status="draft", number=None,
             due_date=None),
    _invoice("finalized", "An invoice was finalized: numbered, its amounts frozen, open for payment (or paid "
             "at once by credit)."),
    _invoice("paid", "An invoice was paid in full (by payments, by credit, by a credit note or marked paid "
             "out of band).", status="paid", amount_due=0, amount_paid=11880, paid_out_of_band=False),
    _invoice("overdue", "An open invoice passed its due date unpaid (once per invoice).", days_overdue=1),
    _invoice("reminder", "A reminder of an unpaid invoice the customer pays themselves was sent: `step` days from "
             "its due date (-3 before, 1, 7, 14 after by default), each once, never after payment.",
             step=7, days_overdue=7, days_until_due=0),
    _invoice("voided", "A finalized invoice that nobody paid was voided; its number stays used.",
             status="void", amount_due=0, reason="Issued twice"),
    _invoice("uncollectible", "Collection of an invoice was given up (a later payment still pays it).",
             status="uncollectible", reason="Payment failed after every retry."),
    _invoice("disputed", "A payment of the invoice was disputed (a chargeback): it reads disputed until the "
             "dispute closes.", status="disputed", amount_due=0, amount_paid=11880, dispute_reference="dp_1Q"),
    _invoice("dispute_closed", "The disputes of an invoice's payments closed: won restores it (paid), lost puts "
             "what was taken back as due again (open) or writes it off (uncollectible, `written_off`).",
             status="open", amount_due=11880, amount_paid=11880, dispute_reference="dp_1Q", outcome="lost",
             reversed_amount=11880, written_off=False),
    EventType("billing.ledger.difference_found", "The daily ledger check found that an account's balance, as "
              "reported, differs from what its invoices, payments, refunds, credit notes and credits add up to "
              "(once per difference).", "ledger_difference", "ledger_difference_id",
              shape({"ledger_difference_id": ID, "account_id": ID,
                     "differences": {"type": "array", "items": {"type": "object"}}},
                    ["ledger_difference_id", "account_id", "differences"]),
              {"ledger_difference_id": 3, "account_id": 7, "differences": [
                  {"check": "balance_due", "currency": "USD", "reported": 11880, "derived": 9900}]}),
    EventType("billing.credit_note.issued", "A credit note was issued against a finalized invoice (numbered "
              "and final: credit notes have no drafts).", "credit_note", "credit_note_id", CREDIT_NOTE,
              CREDIT_NOTE_EXAMPLE),
    EventType("billing.credit.granted", "Credit was added to an account's balance.", "credit", "credit_entry_id",
              shape({"credit_entry_id": ID, "amount": MONEY, "currency": CURRENCY, "expires_at": MOMENT,
                     "reason": TEXT}, ["credit_entry_id", "amount", "currency"]),
              {"credit_entry_id": 11, "amount": 2500, "currency": "USD", "expires_at": None,
               "reason": "Goodwill"}),
    EventType("billing.credit.applied", "An account's credit paid part or all of something (`reference`: "
              "`invoicing.invoice:<id>` for an invoice).", "credit", "reference",
              shape({"amount": MONEY, "currency": CURRENCY, "reference": TEXT}, ["amount", "currency", "reference"]),
              {"amount": 2500, "currency": "USD", "reference": "invoicing.invoice:42"}),
    EventType("billing.usage.threshold_reached", "An account's usage of a metric reached a share of what its "
              "plan includes (once per threshold and period).", "usage_alert", "alert_id",
              shape({"account_id": ID, "metric": TEXT, "threshold_percent": {"type": "integer"},
                     "usage": {"type": "string", "description": "A decimal number, as a string."},
                     "limit": {"type": ["integer", "string", "null"]}, "cap_mode": TEXT, "period_start": MOMENT,
                     "period_end": MOMENT, "alert_id": ID},
                    ["account_id", "metric", "threshold_percent", "usage", "alert_id"]),
              {"account_id": 7, "metric": "api_calls", "threshold_percent": 80, "usage": "8000", "limit": 10000,
               "cap_mode": "hard", "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
               "alert_id": 3}),
    _payment("succeeded", "A payment succeeded."),
    _payment("failed", "A payment failed, or a dunning retry found no payment method (`payment_id` null); "
             "`next_retry_at` says when dunning tries again.", status="failed", failure_code="card_declined",
             failure_message="Your card was declined.", next_retry_at="2026-12-04T00:00:00Z",
             update_payment_method_url="https://billing.example.com/console/"),
    _payment("requires_action", "A payment waits for the customer to authenticate it (3-D Secure).",
             status="requires_action", action_url="https://billing.example.com/console/payments/314/authenticate/",
             action_expires_at="2026-12-08T00:00:00Z"),
    _payment("unapplied", "Money arrived for an invoice that could no longer take it (paid, voided or "
             "disputed meanwhile): it went to the account's other open invoices, oldest first, and the rest "
             "to its credit balance (`credited`); finance is told.", reason="The invoice is already paid.",
             credited=11880, applied_to=[]),
    _payment("refunded", "Part or all of a payment was refunded.", status="partially_refunded",
             amount_refunded=2376, refund_id=8, refund_amount=2376, credit_note_id=5, reason="requested_by_customer"),
    EventType("billing.refund.failed", "The payment processor refused a refund: the customer is still owed it.",
              "refund", "refund_id",
              shape({"refund_id": ID, "payment_id": ID, "invoice_id": ID, "credit_note_id": NULLABLE_ID,
                     "amount": MONEY, "currency": CURRENCY, "reason": TEXT, "reference": TEXT,
                     "failure_message": TEXT}, ["refund_id", "payment_id", "amount", "currency"]),
              {"refund_id": 8, "payment_id": 314, "invoice_id": 42, "credit_note_id": 5, "amount": 2376,
               "currency": "USD", "reason": "requested_by_customer", "reference": "ref_8",
               "failure_message": "The payment processor refused the refund."}),
    EventType("billing.dispute.created", "A customer disputed a payment (chargeback).", "dispute", "dispute_id",
              DISPUTE, {**PAYMENT_EXAMPLE, "status": "disputed", "dispute_id": 2, "gateway_dispute_id": "dp_1Q",
                        "dispute_amount": 11880, "reason": "fraudulent", "evidence_due_by": "2026-12-10T00:00:00Z"}),
    EventType("billing.dispute.closed", "A dispute was decided (`outcome`: won or lost).", "dispute", "dispute_id",
              DISPUTE, {**PAYMENT_EXAMPLE, "dispute_id": 2, "gateway_dispute_id": "dp_1Q", "outcome": "won",
                        "reversed_amount": 0}),
    EventType("billing.dunning.exhausted", "Every payment retry of an invoice failed; `final_action` says what "
              "followed.", "invoice", "invoice_id",
              shape({"invoice_id": ID, "account_id": ID, "subscription_id": NULLABLE_ID, "failures": COUNT,
                     "final_action": TEXT}, ["invoice_id", "account_id", "final_action"]),
              {"invoice_id": 42, "account_id": 7, "subscription_id": 12, "failures": 4,
               "final_action": "cancel_subscription"}),
    _method("added", "A payment method was saved."),
    _method("default_changed", "Another payment method became the default."),
    _method("removed", "A payment method was removed.", is_default=False),
    _method("expiring", "A card expires at the end of next month (once per card).", expires_on="2026-12-31",
            exp_month=12, exp_year=2026),
    EventType("billing.reconciliation.alert", "The daily reconciliation against the payment processor found "
              "discrepancies above RECONCILIATION_ALERT_THRESHOLD.", "reconciliation_run", "run_id",
              shape({"run_id": ID, "window_start": MOMENT, "window_end": MOMENT, "discrepancy_count": COUNT,
                     "total_discrepancy": MONEY, "currency": CURRENCY, "threshold": MONEY},
                    ["run_id", "discrepancy_count", "total_discrepancy", "currency"]),
              {"run_id": 30, "window_start": "2026-11-20T00:00:00Z", "window_end": "2026-11-21T00:00:00Z",
               "discrepancy_count": 2, "total_discrepancy": 150000, "currency": "USD", "threshold": 100000}),
    EventType("billing.bill_run.subscription_failed", "A bill run could not bill a subscription; it is retried "
              "(`next_attempt_at`) until `gave_up`, then waits for finance.", "bill_run_failure", "failure_id",
              shape({"failure_id": ID, "subscription_id": ID, "account_id": ID, "bill_run_id": NULLABLE_ID,
                     "period_start": MOMENT, "period_end": MOMENT, "error_class": TEXT, "error_message": TEXT,
                     "attempt": COUNT, "max_attempts": COUNT, "next_attempt_at": MOMENT, "gave_up": FLAG,
                     "manual": FLAG}, ["failure_id", "subscription_id", "account_id", "attempt", "gave_up"]),
              {"failure_id": 4, "subscription_id": 12, "account_id": 7, "bill_run_id": 19,
               "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
               "error_class": "billing.errors.AmountTooLarge", "error_message": "The usage line is over the largest amount a line can hold.",
               "attempt": 1, "max_attempts": 6, "next_attempt_at": "2026-12-01T00:10:00Z", "gave_up": False,
               "manual": False}),
]
BY_TYPE: dict[str, EventType] = {event.type: event for event in EVENTS}
EMITTED = [event for event in EVENTS if event.planned is None]


def is_public(event_type: str) -> bool:
    """Whether webhooks carry this type (internal events, such as `invoicing.*`, stay inside)."""
    return event_type in BY_TYPE


ENVELOPE_PROPERTIES = {
    "id": {"type": "string", "pattern": "^evt_[0-9]+$",
           "description": "The event's id, also the `webhook-id` header: the same on every retry and replay."},
    "type": {"type": "string", "description": "The event type, `billing.<object>.<what happened>`."},
    "timestamp": {"type": "string", "format": "date-time", "description": "When the event was recorded."},
    "api_version": {"type": "string", "description": "The version of this format (`v1`)."},
    "account_id": {"type": ["integer", "null"],
                   "description": "The customer account concerned; null for operator-wide events."},
    "object_version": {"type": "integer", "minimum": 1, "description": (
        "Grows with every change of the object: keep the highest you applied per object and drop an older "
        "delivery (retries and replays can arrive out of order).")},
}


OPERATOR_OBJECTS = ("plan", "reconciliation_run")  # events about them concern no one account


def envelope_schema(event: EventType) -> dict:
    """The whole body of a delivery of `event`'s type."""
    return {"type": "object", "title": event.type, "description": event.summary,
            "properties": {**ENVELOPE_PROPERTIES, "type": {"const": event.type}, "data": event.data},
            "required": ["id", "type", "timestamp", "api_version", "account_id", "object_version", "data"],
            "additionalProperties": False}


def envelope_example(event: EventType) -> dict:
    return {"id": "evt_1042", "type": event.type, "timestamp": "2026-11-21T10:00:00.000Z", "api_version": "v1",
            "account_id": None if event.object in OPERATOR_OBJECTS else event.example.get("account_id", 7),
            "object_version": 1042, "data": event.example}
