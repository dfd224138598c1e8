"""400 days of time travel on the billing clock, with every periodic job run after each step, over three
accounts on a $124 monthly plan: a good card, with a refund, a dispute won and a dispute lost; a card that
starts declining; and bank transfers (a partial payment, then an overpayment). For each: the invoices,
payments, credit notes, emails, subscription status, and the ledger check with no difference.

Three accounts and two-week steps keep it short: renewals, the one-hour grace period, collection and the
dunning retries (days 1, 3, 5 and 7 after a failure) fall between steps and the jobs catch them up, as beat
would after an outage.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.jobs import run_periodic_jobs
from billing.models import Subscription
from billing.services import subscription_create
from invoicing.balance import account_balance
from invoicing.models import CreditNote, Invoice, SentEmail
from invoicing.services.money_in import account_payment_receive
from payments.models import LedgerDifference, Payment, PaymentMethod, Refund
from payments.services.disputes import dispute_record
from payments.services.ledger import ledger_differences
from payments.services.methods import payment_method_remove, payment_method_set_default
from payments.services.refunds import refund_create
from tests.billing.catalog_factories import plan
from tests.invoicing.factories import profile

pytestmark = pytest.mark.django_db(transaction=True)

STEP = timedelta(days=14)
DAYS = 400
PRICE = 12400


@pytest.fixture(autouse=True)
def _forget_the_offset():
    yield
    clock.invalidate()


def _subscribe(make_account, name: str, **metadata):
    account = make_account(name)
    with tenancy.operator_scope():
        profile(account, email=f"billing@{name.lower()}.test")
        subscription_create(account=account, plan=Plan.get(), metadata=metadata or None)
    return account


class Plan:
    """The one plan, made once per test (its code is unique)."""

    made = None

    @classmethod
    def get(cls):
        return cls.made


def _latest_payment(account) -> Payment:
    return Payment.objects.filter(account=account, status="succeeded").order_by("-created_at", "-id").first()


def _dispute(payment: Payment, dispute_id: str, status: str) -> Payment:
    dispute_record(payment=payment, dispute={"id": dispute_id, "amount": payment.amount, "currency": "usd",
                                             "status": status, "reason": "fraudulent"})
    return payment


def _summary(account) -> dict:
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
    }


def _periods_started(subscription) -> int:
    """How many monthly periods of the subscription have started by now (each is invoiced once)."""
    from dateutil.relativedelta import relativedelta

    anchor, now, count = subscription.billing_cycle_anchor, clock.now(), 0
    while anchor + relativedelta(months=count) <= now:
        count += 1
    return count


def test_four_hundred_days_of_collections(make_account, customer_card, settings, mailoutbox):
    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    settings.DUNNING_RETRY_DAYS = [1, 3]  # two retries, then the subscription is canceled
    with tenancy.operator_scope():
        Plan.made = plan(code="pro", flat=PRICE)
    good = _subscribe(make_account, "Good")
    declining = _subscribe(make_account, "Declining")
    transfers = _subscribe(make_account, "Transfers", collection_method="send_invoice")
    for account in (good, declining):
        customer_card(account)
    refunded, won, lost = {}, {}, {}
    events = {  # day: what happens that day, before the jobs of its step run
        14: lambda: account_payment_receive(account_id=transfers.pk, currency="USD", amount=PRICE // 2,
                                            reference="WIRE-1"),  # a partial payment of the first invoice
        42: lambda: refunded.setdefault("refund", refund_create(payment=_latest_payment(good),
                                                                reason="requested_by_customer")),
        60: lambda: _declines(declining, customer_card),  # after its second invoice was charged
        63: lambda: account_payment_receive(account_id=transfers.pk, currency="USD",  # the rest, one more, and 50
                                            amount=PRICE // 2 + PRICE + 5000, reference="WIRE-2"),
        70: lambda: won.setdefault("payment", _dispute(_latest_payment(good), "dp_won", "needs_response")),
        84: lambda: _dispute(won["payment"], "dp_won", "won"),
        112: lambda: lost.setdefault("payment", _dispute(_latest_payment(good), "dp_lost", "needs_response")),
        126: lambda: lost.setdefault("disputed", Invoice.objects.get(pk=lost["payment"].invoice_id).status),
        140: lambda: _dispute(lost["payment"], "dp_lost", "lost"),
    }
    day = 0
    while day < DAYS:
        day += STEP.days
        with tenancy.operator_scope():
            clock.advance(STEP)
            for when in sorted(events):
                if when <= day:
                    events.pop(when)()
        run_periodic_jobs()
    with tenancy.operator_scope():
        clock.advance(timedelta(days=1))  # past the last renewal's grace period: no draft is left
    run_periodic_jobs()
    with tenancy.operator_scope():
        got = {a.name: _summary(a) for a in (good, declining, transfers)}
        periods = {a.name: _periods_started(Subscription.objects.get(account=a)) for a in (good, transfers)}
        differences = {a.name: ledger_differences(account_id=a.pk) for a in (good, declining, transfers)}
        assert not Invoice.objects.filter(status="draft").exists()
        assert not LedgerDifference.objects.exists()  # the daily job ran every step and found nothing
        lost_invoice = Invoice.objects.get(pk=lost["payment"].invoice_id)
        refund_note = CreditNote.objects.get(pk=refunded["refund"].credit_note_id)
        refunded_invoice = Payment.objects.get(pk=refunded["refund"].payment_id).invoice_id
    assert differences == {"Good": [], "Declining": [], "Transfers": []}
    assert periods["Good"] >= 13  # 400 days of a monthly plan

    # A good card: every period invoiced and charged once; one refund, with its credit note; a dispute won
    # (the payment and invoice restored) and one lost (its invoice is due again, and the balance says so).
    g = got["Good"]
    assert g["invoices"] == {"paid": periods["Good"] - 1, "open": 1}
    assert g["payments"] == {"succeeded": periods["Good"] - 2, "refunded": 2}
    assert won["payment"].pk != lost["payment"].pk and lost["disputed"] == "disputed"
    assert g["refunds"] == [(PRICE, "Dispute lost"), (PRICE, "requested_by_customer")]
    assert g["notes"] == [(PRICE, "refund")] and refund_note.invoice_id == refunded_invoice
    assert (lost_invoice.status, lost_invoice.amount_due, lost_invoice.amount_reversed) == ("open", PRICE, PRICE)
    assert g["balance"] == {"USD": {"currency": "USD", "due": PRICE, "written_off": 0, "credit": 0, "net": PRICE}}
    assert g["subscription"] == "active"
    assert g["emails"]["billing_invoice_generated"] == g["emails"]["billing_payment_succeeded"] == periods["Good"]
    assert g["emails"]["billing_credit_note_issued"] == 1
    finance = [m.subject for m in mailoutbox if m.to == ["finance@example.com"]]
    assert sum("ispute" in subject for subject in finance) == 4  # two opened, two closed

    # A card that starts declining: paid while it worked, then every retry fails and dunning cancels.
    d = got["Declining"]
    assert d["subscription"] == "canceled"
    assert d["invoices"]["paid"] == 2 and d["invoices"]["open"] >= 1
    assert d["payments"]["succeeded"] == 2 and d["payments"]["failed"] == 3 * d["invoices"]["open"]
    assert d["emails"]["billing_payment_failed"] == d["payments"]["failed"]
    assert d["emails"]["billing_subscription_canceled"] == 1
    assert d["balance"]["USD"]["due"] == PRICE * d["invoices"]["open"]

    # Bank transfers: half of the first invoice, then the rest with the second invoice and $50 more, which
    # became credit and was drawn by the next invoice; nothing else was paid, so the rest is due.
    t = got["Transfers"]
    assert t["invoices"] == {"paid": 2, "open": periods["Transfers"] - 2}
    assert t["payments"] == {} and t["notes"] == []
    assert t["balance"]["USD"] == {"currency": "USD", "due": PRICE * (periods["Transfers"] - 2) - 5000,
                                   "written_off": 0, "credit": 0, "net": PRICE * (periods["Transfers"] - 2) - 5000}
    assert t["emails"]["billing_invoice_generated"] == periods["Transfers"]
    assert t["subscription"] == "active"


def _declines(account, customer_card) -> None:
    """The good card is replaced by one the bank declines from now on."""
    old = PaymentMethod.objects.get(account=account, removed_at__isnull=True)
    new = customer_card(account, "4000000000000341", via_setup=False)
    with tenancy.operator_scope():
        payment_method_set_default(method=new)
        payment_method_remove(method=old)
