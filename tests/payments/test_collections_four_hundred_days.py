"""400 days of collections on the billing clock (issue 17), in `advance_clock 2d --run-jobs` steps, over one
account in each situation, all on one $124 monthly plan with a soft and a hard quota:

- Good: a good card; a refund, a dispute won and a dispute lost (its invoice due again, then paid by transfer);
- Declining: a card that starts declining after its second invoice; dunning retries, then cancels;
- Globex: no card; suspended (paused) at 30 days past due, pays everything on day 150, overdue again;
- Cautious: a card that asks for 3-D Secure, never completed; each attempt expires, then dunning cancels;
- Late: bank transfers, each arriving five days after the due date (reminded, never overdue);
- Partial: bank transfers, half of the first invoice, then the rest, the second and $50 more (credit drawn
  by the third), then nothing: overdue, suspended, paused.

Two-day steps catch each reminder (3 days before, 1, 7 and 14 after a due date) and each dunning retry
(days 1 and 3 after a failure) on a step of its own; daily steps found the same and took twice as long.
Counts that depend on the calendar the clock starts in (how many invoices fall before a suspension) are
checked by their relations, not their values.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.jobs import run_periodic_jobs
from billing.models import Subscription
from invoicing.models import CreditNote, Invoice
from invoicing.services import invoice_mark_paid
from invoicing.services.money_in import account_payment_receive
from payments.models import LedgerDifference, Payment
from payments.services.ledger import ledger_differences
from payments.services.refunds import refund_create
from tests.payments import collections_world as world

pytestmark = pytest.mark.django_db(transaction=True)

STEP = 2  # days
DAYS = 400
PRICE = world.PRICE
NAMES = ("Good", "Declining", "Globex", "Cautious", "Late", "Partial")
ALL, SOFT_REFUSED, NOTHING = (True, True), (False, True), (False, False)


@pytest.fixture(autouse=True)
def _forget_the_offset():
    yield
    clock.invalidate()


def _pay_everything(account, reference: str) -> tuple[str, str]:
    """Pays every open invoice by transfer; returns the overdue state and subscription status just after."""
    for invoice in Invoice.objects.filter(account=account, status="open"):
        invoice_mark_paid(invoice=invoice.pk, reference=f"{reference}-{invoice.number}")
    return world.overdue_state(account), Subscription.objects.get(account=account).status


def _lose(payment: Payment) -> tuple[str, int]:
    """The dispute is lost; returns its invoice's status and amount due just after."""
    world.dispute(payment, "dp_lost", "lost")
    invoice = Invoice.objects.get(pk=payment.invoice_id)
    return invoice.status, invoice.amount_due


def _transfers_arrive(account) -> None:
    """Late's bank transfers arrive five (or, between two steps, six) days after each due date."""
    for invoice in Invoice.objects.filter(account=account, status="open",
                                          due_date__lte=clock.now().date() - timedelta(days=5)):
        invoice_mark_paid(invoice=invoice.pk, reference=f"TRF-{invoice.number}")


def test_four_hundred_days_of_collections(make_account, customer_card, settings, mailoutbox, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    settings.DUNNING_RETRY_DAYS = [1, 3]  # two retries, then the subscription is canceled
    # Quota checks cache an account's plan limits for 30 real seconds: here that is weeks of billing time, and
    # a resumed subscription would be answered from the limits it had while paused (none).
    settings.METERING_ENTITLEMENT_CACHE_SECONDS = 0
    the_plan = world.plan_with_quotas()
    accounts = {name: world.subscribe(make_account, the_plan, name, transfers=name in ("Late", "Partial"))
                for name in NAMES}
    good, declining, globex, partial = (accounts[n] for n in ("Good", "Declining", "Globex", "Partial"))
    customer_card(good)
    customer_card(declining)
    customer_card(accounts["Cautious"], "4000000000003220", via_setup=False)
    refunded, won, lost, paid = {}, {}, {}, {}
    events = {  # day: what happens that day, before the jobs of its step run
        14: lambda: account_payment_receive(account_id=partial.pk, currency="USD", amount=PRICE // 2,
                                            reference="WIRE-1"),
        42: lambda: refunded.setdefault("refund", refund_create(payment=world.latest_payment(good),
                                                                reason="requested_by_customer")),
        46: lambda: world.declines(declining, customer_card),  # its second invoice charged, its third not yet
        48: lambda: account_payment_receive(account_id=partial.pk, currency="USD",
                                            amount=PRICE // 2 + PRICE + 5000, reference="WIRE-2"),
        70: lambda: won.setdefault("payment", world.dispute(world.latest_payment(good), "dp_won", "needs_response")),
        84: lambda: world.dispute(won["payment"], "dp_won", "won"),
        112: lambda: lost.setdefault("payment", world.dispute(world.latest_payment(good), "dp_lost",
                                                              "needs_response")),
        126: lambda: lost.setdefault("disputed", Invoice.objects.get(pk=lost["payment"].invoice_id).status),
        140: lambda: lost.setdefault("reopened", _lose(lost["payment"])),
        142: lambda: paid.setdefault("Good", _pay_everything(good, "GOOD")),  # restricted since the loss
        150: lambda: paid.setdefault("Globex", _pay_everything(globex, "GLOBEX")),  # suspended since day ~60
    }
    # Each account's (overdue state, quota answers) as they changed, read at the end of every step.
    seen = {name: [] for name in NAMES}
    for day in range(STEP, DAYS + STEP, STEP):
        with tenancy.operator_scope():
            clock.advance(timedelta(days=STEP))
            for when in sorted(events):
                if when <= day:
                    events.pop(when)()
        run_periodic_jobs()
        with tenancy.operator_scope():
            _transfers_arrive(accounts["Late"])
            for name, account in accounts.items():
                now = (world.overdue_state(account), world.quota_answers(account))
                if not seen[name] or seen[name][-1] != now:
                    seen[name].append(now)
    world.advance(1)  # past the last renewal's grace period: no draft is left
    with tenancy.operator_scope():
        got = {name: world.summary(account) for name, account in accounts.items()}
        differences = {name: ledger_differences(account_id=account.pk) for name, account in accounts.items()}
        assert not Invoice.objects.filter(status="draft").exists()
        assert not LedgerDifference.objects.exists()  # the daily ledger check ran every step and found nothing
        lost_invoice = Invoice.objects.get(pk=lost["payment"].invoice_id)
        refund_note = CreditNote.objects.get(pk=refunded["refund"].credit_note_id)
        refunded_invoice = Payment.objects.get(pk=refunded["refund"].payment_id).invoice_id
        invoices = {name: list(Invoice.objects.filter(account=account).exclude(status="draft").exclude(total=0))
                    for name, account in accounts.items()}
        steps = {name: {i.pk: world.reminder_steps(i) for i in rows} for name, rows in invoices.items()}
        expired = Counter(Payment.objects.filter(account=accounts["Cautious"], failure_code="authentication_expired")
                          .values_list("status", flat=True))
        world.reminders_emailed_once()  # and no email went twice for one event
    assert differences == {name: [] for name in NAMES}
    for name in NAMES:  # one "your account is overdue" email each time the state got worse, none when it improved
        assert got[name]["emails"]["billing_account_overdue"] == world.worsened(got[name]["states"]), name
        assert [state for state, _ in seen[name]] == ["good"] + [after for _, after in got[name]["states"]], name
    worst_then_paid = [("good", ALL), ("warning", ALL), ("restricted", SOFT_REFUSED), ("suspended", NOTHING)]

    # Good: 14 periods in 400 days, each invoiced and charged once; a refund with its credit note; a dispute won
    # (payment and invoice restored); one lost: its invoice due again (restricted at once, 20-odd days past its
    # due date: the soft quota refused), recovered when paid by transfer.
    g = got["Good"]
    assert g["invoices"] == {"paid": 14} and g["payments"] == {"succeeded": 12, "refunded": 2}
    assert won["payment"].pk != lost["payment"].pk and lost["disputed"] == "disputed"
    assert g["refunds"] == [(PRICE, "Dispute lost"), (PRICE, "requested_by_customer")]
    assert g["notes"] == [(PRICE, "refund")] and refund_note.invoice_id == refunded_invoice
    assert lost["reopened"] == ("open", PRICE)  # the amount taken back is due again
    assert (lost_invoice.status, lost_invoice.amount_due, lost_invoice.amount_reversed) == ("paid", 0, PRICE)
    assert lost_invoice.payment_reference.startswith("GOOD-")
    assert g["dunning"] == {("no_payment_method", "recovered"): 1}  # the reopened invoice, nothing charged on it
    assert g["states"] == [("good", "restricted"), ("restricted", "good")]
    assert seen["Good"] == [("good", ALL), ("restricted", SOFT_REFUSED), ("good", ALL)]
    assert paid["Good"] == ("good", "active") and g["subscription"] == "active"
    assert g["balance"] == {} and g["reminders"] == {}
    assert g["emails"]["billing_invoice_generated"] == g["emails"]["billing_payment_succeeded"] == 14
    assert g["emails"]["billing_credit_note_issued"] == 1
    finance = [m.subject for m in mailoutbox if m.to == ["finance@example.com"]]
    assert sum("ispute" in subject for subject in finance) == 4  # two opened, one won, one lost

    # Declining: two invoices paid while the card worked; the third failed, was retried twice, and dunning
    # canceled the subscription. Canceled, the plan's limits are gone: restricted refuses nothing, suspended all.
    d = got["Declining"]
    assert d["invoices"] == {"paid": 2, "open": 1} and d["payments"] == {"succeeded": 2, "failed": 3}
    assert d["dunning"] == {("payment_failed", "exhausted"): 1} and d["subscription"] == "canceled"
    assert d["emails"]["billing_payment_failed"] == 3 and d["emails"]["billing_subscription_canceled"] == 1
    assert d["balance"]["USD"]["due"] == PRICE and d["reminders"] == {}
    assert d["states"] == [("good", "warning"), ("warning", "restricted"), ("restricted", "suspended")]
    assert seen["Declining"] == [("good", ALL), ("warning", ALL), ("restricted", ALL), ("suspended", NOTHING)]

    # Cautious: every 3-D Secure attempt (the first and two retries) expired, each with its emails; dunning
    # canceled the subscription; the one invoice stays due.
    c = got["Cautious"]
    assert c["invoices"] == {"open": 1} and c["payments"] == {"canceled": 3} == expired
    assert not Payment.objects.filter(account=accounts["Cautious"], status="requires_action").exists()
    assert c["emails"]["billing_payment_requires_action"] == c["emails"]["billing_payment_action_expired"] == 3
    assert c["dunning"] == {("authentication_expired", "exhausted"): 1} and c["subscription"] == "canceled"
    assert c["states"] == d["states"] and seen["Cautious"] == seen["Declining"]
    assert c["balance"]["USD"]["due"] == PRICE and c["emails"]["billing_subscription_canceled"] == 1

    # Globex: no card, so no payment; overdue up to suspended (paused: no invoices while paused), good again
    # when it paid on day 150, then overdue again from its next invoices up to suspended and paused.
    x = got["Globex"]
    assert x["payments"] == {} and paid["Globex"] == ("good", "active") and x["subscription"] == "paused"
    assert x["states"] == [("good", "warning"), ("warning", "restricted"), ("restricted", "suspended"),
                           ("suspended", "good")] + [("good", "warning"), ("warning", "restricted"),
                                                     ("restricted", "suspended")]
    assert seen["Globex"] == worst_then_paid * 2
    assert 2 <= x["invoices"]["paid"] <= 3 and 1 <= x["invoices"]["open"] <= 3  # the debt stops at suspension
    assert x["dunning"] == {("no_payment_method", "recovered"): x["invoices"]["paid"],
                            ("no_payment_method", "active"): x["invoices"]["open"]}
    assert x["balance"]["USD"]["due"] == PRICE * x["invoices"]["open"]
    assert all(s == [-3, 1, 7, 14] for s in steps["Globex"].values())  # each reminded in full before it paid

    # Late: each invoice reminded 3 days before and 1 day after its due date, in dunning the day after and
    # recovered when the transfer came; never late enough for a warning; the last ones not yet due or paid.
    t = got["Late"]
    assert t["invoices"]["paid"] + t["invoices"]["open"] == 14 and t["invoices"]["open"] <= 2
    assert not any(i.status == "open" and i.due_date <= clock.now().date() - timedelta(days=6) for i in invoices["Late"])
    assert t["payments"] == {} and t["states"] == [] and seen["Late"] == [("good", ALL)]
    assert all(steps["Late"][i.pk] == [-3, 1] for i in invoices["Late"] if i.status == "paid")
    assert t["dunning"][("bank_transfer_not_received", "recovered")] == t["invoices"]["paid"]
    past_due = any(i.status == "open" and i.due_date < clock.now().date() for i in invoices["Late"])
    assert t["subscription"] == ("past_due" if past_due else "active")
    assert t["emails"]["billing_invoice_due_soon"] == t["reminders"][-3]
    assert t["emails"]["billing_invoice_overdue"] == t["reminders"][1]

    # Partial: half of the first invoice, then the rest with the second and $50 more, which became credit and
    # was drawn by the third; back to good when it paid, then overdue up to suspended and paused.
    p = got["Partial"]
    assert p["payments"] == {} and p["notes"] == [] and p["subscription"] == "paused"
    assert p["invoices"]["paid"] == 2 and 1 <= p["invoices"]["open"] <= 3
    assert p["emails"]["billing_invoice_generated"] == 2 + p["invoices"]["open"]
    assert p["balance"]["USD"] == {"currency": "USD", "due": PRICE * p["invoices"]["open"] - 5000,
                                   "written_off": 0, "credit": 0, "net": PRICE * p["invoices"]["open"] - 5000}
    assert p["states"] == [("good", "warning"), ("warning", "restricted"), ("restricted", "good"),
                           ("good", "warning"), ("warning", "restricted"), ("restricted", "suspended")]
    assert seen["Partial"] == worst_then_paid[:3] + worst_then_paid
    assert p["dunning"] == {("bank_transfer_not_received", "recovered"): 1,
                            ("bank_transfer_not_received", "active"): p["invoices"]["open"]}
    first, second = sorted(invoices["Partial"], key=lambda i: i.pk)[:2]
    assert steps["Partial"][first.pk] == [-3, 1, 7, 14] and steps["Partial"][second.pk] == []  # paid early
