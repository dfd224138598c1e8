"""Month figures from the snapshots of the hand-computed book (tests/analytics/conftest.py), per currency."""

from datetime import date
from decimal import Decimal

import pytest

from analytics import rates
from analytics.models import MrrMonth, MrrSnapshot

pytestmark = pytest.mark.django_db


def month(year, number, currency="USD") -> MrrMonth:
    return MrrMonth.objects.get(month=date(year, number, 1), currency=currency)


def test_january_has_no_month_before_it_so_every_paying_subscription_is_new(book):
    january = month(2027, 1)
    # 45.00 + 100.00 + 100.00 + 160.00 + 0 (trial) + 200.00 + 50.00 + 50.00 + 200.00
    assert (january.mrr_start, january.mrr, january.new, january.new_subscriptions) == (0, 90_500, 90_500, 8)
    assert (january.expansion, january.contraction, january.churned, january.reactivated) == (0, 0, 0, 0)
    assert month(2027, 1, "EUR").mrr == 8_000


def test_february_movements_add_up_to_the_change_in_mrr(book):
    february = month(2027, 2)
    assert february.mrr_start == 90_500
    assert february.new == 10_000  # the converted trial 50.00 and the new subscription 50.00
    assert february.new_subscriptions == 2
    assert february.expansion == 15_000  # basic 50.00 -> pro 200.00
    assert february.contraction == 15_000  # pro 200.00 -> basic 50.00
    assert february.churned == 25_000  # paused 200.00 and canceled 50.00
    assert february.churned_subscriptions == 2
    assert february.reactivated == 0
    assert february.mrr == 75_500 == 90_500 + 10_000 + 15_000 - 15_000 - 25_000
    assert (february.trials_ended, february.trials_converted) == (1, 1)
    assert (february.customers_start, february.customers_churned) == (8, 2)


def test_march_counts_the_resumed_subscription_as_reactivated_not_new(book):
    march = month(2027, 3)
    assert (march.mrr_start, march.reactivated, march.new, march.mrr) == (75_500, 20_000, 0, 95_500)


def test_each_currency_has_its_own_figures_never_converted(book):
    february = month(2027, 2, "EUR")
    assert (february.mrr_start, february.new, february.mrr) == (8_000, 8_000, 16_000)


def test_rates_of_february(book):
    february = month(2027, 2)
    assert rates.net_revenue_retention(february) == Decimal("72.4")  # (905 - 250 - 150 + 150) / 905
    assert rates.gross_revenue_retention(february) == Decimal("55.8")  # (905 - 250 - 150) / 905
    assert rates.logo_churn_rate(february) == Decimal("25.0")  # 2 of 8 paying accounts
    assert rates.revenue_churn_rate(february) == Decimal("44.2")  # (250 + 150) / 905
    assert rates.trial_conversion_rate(february) == Decimal("100.0")


def test_trials_paused_and_canceled_subscriptions_count_zero(book, operator):
    rows = {row.subscription_id: row for row in MrrSnapshot.objects.filter(day=date(2027, 2, 28))}
    assert len(rows) == 11  # the live subscriptions of the day
    assert rows[book["paused"].pk].status == "paused" and rows[book["paused"].pk].mrr == 0
    assert book["canceled"].pk not in rows  # ended on 10 February: gone from the day's live subscriptions
    january = {row.subscription_id: row for row in MrrSnapshot.objects.filter(day=date(2027, 1, 31))}
    assert january[book["trial"].pk].status == "trialing" and january[book["trial"].pk].mrr == 0


def test_a_later_price_change_does_not_touch_history(book, operator):
    from analytics.services import mrr_month_compute
    from billing.models import Plan
    from billing.services import plan_pricing_change, subscription_version_migrate

    plan_pricing_change(plan=Plan.objects.get(code="yearly"), prices={"USD": {"flat_amount": 240_000}})
    subscription_version_migrate(subscription=book["yearly"], at_period_end=False)  # now 2,400.00 a year
    mrr_month_compute(month=date(2027, 2, 1))  # worked out again from the stored days
    assert month(2027, 2).mrr == 75_500
    book["yearly"].refresh_from_db()
    assert book["yearly"].plan_version.prices.get().flat_amount == 240_000  # the change did happen
    assert MrrSnapshot.objects.get(day=date(2027, 2, 28), subscription_id=book["yearly"].pk).mrr == 10_000


def test_usage_revenue_is_beside_mrr_not_in_it(ledger, book):
    # The ledger's January usage (31.00, invoiced in February) is January's usage revenue.
    assert month(2027, 1).usage == 3_100 and month(2027, 2).usage == 0
    assert month(2027, 1).mrr == 90_500 + 10_000  # the book, and the ledger's yearly subscription
