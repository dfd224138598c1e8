"""Two hand-computed fixtures. `book`: subscriptions on monthly, quarterly and yearly plans, a 10% forever
coupon, seats, a trial, a pause, a cancellation, an upgrade and a downgrade within February, two
currencies, with snapshots at the end of January, February and March 2027. `ledger`: invoices and a
credit note whose revenue recognition is worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.services import mrr_snapshot_take
from billing import clock, tenancy
from billing.models import Plan, Product
from billing.services import coupon_create, subscription_create
from billing.services.subscriptions import (
    subscription_cancel,
    subscription_change,
    subscription_pause,
    subscription_resume,
    subscription_trial_end,
)
from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from tests.billing.catalog_factories import plan, utc


def at(*args) -> datetime:
    return datetime(*args, 12, tzinfo=UTC)


@pytest.fixture
def book(db, make_account):
    """All amounts in minor units; each subscription has an account of its own."""
    subs = {}
    with tenancy.operator_scope():
        coupon_create(code="ten-forever", name="10% forever", percent_off=Decimal("10"), duration="forever")
        basic = plan("basic", flat=5_000, trial_end_behavior="activate")  # 50.00 a month
        pro = plan("pro", flat=20_000)  # 200.00 a month
        quarterly = plan("quarterly", flat=30_000, interval_count=3)  # 300.00 a quarter = 100.00 a month
        yearly = plan("yearly", flat=120_000, interval="year")  # 1,200.00 a year = 100.00 a month
        team = plan("team", flat=10_000, seat=2_000, included_seats=2)  # 100.00 + 20.00 per seat beyond 2
        euro = plan("euro", flat=8_000, currency="EUR")  # 80.00 EUR a month

        def subscribe(name, the_plan, **kwargs):
            subs[name] = subscription_create(account=make_account(), plan=the_plan, **kwargs)

        with clock.frozen(at(2027, 1, 5)):
            subscribe("discounted", basic, coupon_code="ten-forever")  # 50.00 - 10% = 45.00
            subscribe("quarterly", quarterly)  # 100.00
            subscribe("yearly", yearly)  # 100.00
            subscribe("seats", team, quantity=5)  # 100.00 + 3 x 20.00 = 160.00
            subscribe("trial", basic, trial_days=30)  # trialing until 4 February: 0, then 50.00
            subscribe("paused", pro)  # 200.00, paused in February, resumed in March
            subscribe("canceled", basic)  # 50.00, canceled in February
            subscribe("upgraded", basic)  # 50.00, then pro: 200.00
            subscribe("downgraded", pro)  # 200.00, then basic: 50.00
            subscribe("euro", euro)  # 80.00 EUR
        with clock.frozen(at(2027, 1, 31)):
            mrr_snapshot_take()
        with clock.frozen(at(2027, 2, 4)):
            subscription_trial_end(subscription=subs["trial"])
        with clock.frozen(at(2027, 2, 10)):
            subscription_pause(subscription=subs["paused"])
            subscription_cancel(subscription=subs["canceled"], at_period_end=False)
            subscription_change(subscription=subs["upgraded"], plan=pro, timing="immediate")
            subscription_change(subscription=subs["downgraded"], plan=basic, timing="immediate")
            subscribe("new", basic)  # 50.00
            subscribe("new-euro", euro)  # 80.00 EUR
        with clock.frozen(at(2027, 2, 28)):
            mrr_snapshot_take()
        with clock.frozen(at(2027, 3, 3)):
            subscription_resume(subscription=subs["paused"])
        with clock.frozen(at(2027, 3, 31)):
            mrr_snapshot_take()
    return subs


@pytest.fixture
def ledger(db, make_account):
    """USD invoices, net of discounts and tax (minor units):

    - a monthly fee, 15 Jan - 15 Feb (31 days), 31.00 less 3.10 discount = 27.90: 17 days in January
      (15.30), 14 in February (12.60); issued 15 January;
    - a yearly fee of 1,200.00 for 2027 (365 days), issued 1 January, of the product "Platform":
      January 31 days = 101.92, February 28 = 92.05, March 31 = 101.92;
    - a one-off charge of 50.00 issued 20 January: all in January;
    - usage of January, 31.00, invoiced on 1 February: recognized in January, never deferred;
    - a credit note of 15.50 issued 10 February against the monthly fee: the days before the 10th are
      reversed on the 10th, so all of it falls in February;
    - a void invoice, a draft and a EUR invoice, which count nothing here.
    """
    with tenancy.operator_scope():
        account = make_account()
        yearly_plan = plan("platform-yearly", flat=120_000, interval="year")
        Plan.objects.filter(pk=yearly_plan.pk).update(product=Product.objects.create(code="platform", name="Platform"))
        with clock.frozen(utc(2027, 1, 1)):
            yearly_sub = subscription_create(account=account, plan=yearly_plan)
        numbers = iter(range(1, 100))

        def invoice(issued, status="open", currency="USD", subscription=None):
            return Invoice.objects.create(account=account, currency=currency, status=status, issue_date=issued,
                                          number=None if status == "draft" else f"T-{next(numbers)}",
                                          subscription=subscription)

        def line(inv, kind, amount, start=None, end=None, discount=0):
            return InvoiceLine.objects.create(account=account, invoice=inv, kind=kind, description=kind,
                                              quantity=Decimal(1), amount=amount, discount_amount=discount,
                                              period_start=start, period_end=end)

        fee_invoice = invoice(date(2027, 1, 15))
        fee = line(fee_invoice, "flat", 3_100, utc(2027, 1, 15), utc(2027, 2, 15), discount=310)
        line(invoice(date(2027, 1, 1), subscription=yearly_sub), "flat", 120_000, utc(2027, 1, 1), utc(2028, 1, 1))
        line(invoice(date(2027, 1, 20), status="paid"), "one_off", 5_000)
        line(invoice(date(2027, 2, 1)), "usage", 3_100, utc(2027, 1, 1), utc(2027, 2, 1))
        line(invoice(date(2027, 1, 3), status="void"), "flat", 99_900, utc(2027, 1, 1), utc(2027, 2, 1))
        line(invoice(date(2027, 1, 3), status="draft"), "flat", 99_900, utc(2027, 1, 1), utc(2027, 2, 1))
        line(invoice(date(2027, 1, 3), currency="EUR"), "flat", 99_900, utc(2027, 1, 1), utc(2027, 2, 1))
        note = CreditNote.objects.create(account=account, invoice=fee_invoice, number="CN-T-1", currency="USD",
                                         reason="goodwill", credit_method="balance", subtotal=1_550, total=1_550,
                                         issue_date=date(2027, 2, 10))
        CreditNoteLine.objects.create(account=account, credit_note=note, invoice_line=fee, description="half",
                                      amount=1_550)
    return account
