"""The world of the collections time-travel test: accounts subscribed to one plan with a quota, the moves
that happen to them (a card that starts declining, a dispute), and what is read back from each account
(invoices, payments, notes, emails, overdue states, quota answers)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from billing import clock, tenancy
from billing.jobs import run_periodic_jobs
from billing.models import AccountStanding, BillableMetric, OutboxEvent, Subscription
from billing.services import billing_profile_update, subscription_create
from invoicing.balance import account_balance
from invoicing.models import CreditNote, Invoice, InvoiceReminder, SentEmail
from metering.services import quota_check
from payments.models import DunningCase, Payment, PaymentMethod, Refund
from payments.services.disputes import dispute_record
from payments.services.methods import payment_method_remove, payment_method_set_default
from tests.billing.catalog_factories import plan
from tests.invoicing.factories import profile

PRICE = 12_400
# A soft limit (refused from `restricted`) and a hard one (refused only when `suspended`), never reached.
LIMITS = [{"metric": "api_calls", "included": 100, "cap_mode": "soft"},
          {"metric": "exports", "included": 100, "cap_mode": "hard"}]


def plan_with_quotas():
    with tenancy.operator_scope():
        for limit in LIMITS:
            BillableMetric.objects.create(code=limit["metric"], name=limit["metric"], aggregation="count")
        return plan(code="pro", flat=PRICE, limits=LIMITS)


def subscribe(make_account, the_plan, name: str, *, transfers: bool = False):
    account = make_account(name)
    with tenancy.operator_scope():
        profile(account, email=f"billing@{name.lower()}.test")
        if transfers:
            billing_profile_update(account=account, collection_method="send_invoice")
        subscription_create(account=account, plan=the_plan)
    return account


def advance(days: int) -> None:
    """What `manage.py advance_clock <days>d --run-jobs` does: the clock moves, then every beat job once."""
    with tenancy.operator_scope():
        clock.advance(timedelta(days=days))
    run_periodic_jobs()


def latest_payment(account) -> Payment:
    return Payment.objects.filter(account=account, status="succeeded").order_by("-created_at", "-id").first()


def dispute(payment: Payment, dispute_id: str, status: str) -> Payment:
    dispute_record(payment=payment, dispute={"id": dispute_id, "amount": payment.amount, "currency": "usd",
                                             "status": status, "reason": "fraudulent"})
    return payment


def declines(account, customer_card) -> None:
    """The good card is replaced by one the bank declines from now on."""
    old = PaymentMethod.objects.get(account=account, removed_at__isnull=True)
    new = customer_card(account, "4000000000000341", via_setup=False)
    with tenancy.operator_scope():
        payment_method_set_default(method=new)
        payment_method_remove(method=old)


def overdue_state(account) -> str:
    return AccountStanding.objects.filter(account=account).values_list("overdue_state", flat=True).first() or "good"


def quota_answers(account) -> tuple[bool, bool]:
    """What metering's quota check answers now for the soft-limited and the hard-limited metric."""
    return tuple(quota_check(account_id=account.pk, metric_code=limit["metric"]).allowed for limit in LIMITS)


def worsened(transitions: list[tuple[str, str]]) -> int:
    order = ["good", "warning", "restricted", "suspended"]
    return sum(order.index(after) > order.index(before) for before, after in transitions)


def reminder_steps(invoice) -> list[int]:
    return list(InvoiceReminder.objects.filter(invoice=invoice).order_by("step").values_list("step", flat=True))


def states(account) -> list[tuple[str, str]]:
    return [(e.payload["previous_state"], e.payload["overdue_state"]) for e in OutboxEvent.objects.filter(
        type="billing.account.overdue_state_changed", account_id=account.pk).order_by("id")]


def summary(account) -> dict:
    # Invoices that asked for money (a subscription canceled mid-period ends with a $0 one, paid at once).
    invoices = Invoice.objects.filter(account=account).exclude(status="draft").exclude(total=0)
    return {
        "invoices": Counter(invoices.values_list("status", flat=True)),
        "payments": Counter(Payment.objects.filter(account=account).values_list("status", flat=True)),
        "notes": sorted(CreditNote.objects.filter(account=account).values_list("total", "credit_method")),
        "emails": Counter(SentEmail.objects.filter(account=account).values_list("type", flat=True)),
        "subscription": Subscription.objects.get(account=account).status,
        "balance": {c: b.as_dict() for c, b in account_balance(account_id=account.pk).items()},
        "refunds": sorted(Refund.objects.filter(account=account).values_list("amount", "reason")),
        "dunning": Counter(DunningCase.objects.filter(account=account).values_list("cause", "status")),
        "reminders": Counter(InvoiceReminder.objects.filter(invoice__account=account).values_list("step", flat=True)),
        "states": states(account),
    }


def reminders_emailed_once() -> None:
    """Every reminder was emailed once, none followed a payment, and no email went twice for one event."""
    reminders = Counter()
    for reminder in InvoiceReminder.objects.select_related("invoice"):
        reminders["billing_invoice_due_soon" if reminder.step < 0 else "billing_invoice_overdue"] += 1
        paid_at = reminder.invoice.paid_at
        assert paid_at is None or reminder.sent_at < paid_at
    sent = Counter(SentEmail.objects.filter(type__in=list(reminders)).values_list("type", flat=True))
    assert sent == reminders
    assert all(n == 1 for n in Counter(SentEmail.objects.values_list("event_id", "type")).values())
