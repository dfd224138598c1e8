"""What a renewal bills, decided by the pure `renewal_decide` on plain objects (no database): the advance
period or not, the billing records, usage in arrears by the status the period ended in, prorations, late
usage, coupons, and nothing to bill. The single and the set-based renewal both call it
(tests/invoicing/test_renewal_twins.py bills the same subscriptions both ways)."""

from datetime import UTC, datetime
from decimal import Decimal as D
from types import SimpleNamespace

from billing.selectors.terms import PlanTerms
from invoicing.models import BillingKind
from invoicing.services.renewal_decision import (
    arrears_billed,
    bills_usage,
    collection_method_for,
    late_lines,
    renewal_decide,
)
from pricing import Charge, LateUsage, Period, Recurring

JAN, FEB, MAR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3))
ENDED, NEXT = Period(JAN, FEB), Period(FEB, MAR)
TERMS = PlanTerms(subscription_id=1, plan_code="std", plan_name="Standard", plan_version_id=1, currency="USD",
                  interval="month", interval_count=1, flat_amount=9900, seat_amount=500, included_seats=2, quantity=5,
                  charges=())
CALLS = Charge("calls", "standard", unit_price=D("0.01"))
USAGE = {("calls", ""): D(300)}


def renewed(status="active", *, start=FEB, end=MAR, bill_during_pause=False):
    """The subscription as read after its period advanced."""
    return SimpleNamespace(status=status, current_period_start=start, current_period_end=end,
                           bill_during_pause=bill_during_pause, currency="USD", metadata={})


def proration(pk=7, amount=-450):
    return SimpleNamespace(pk=pk, description="Unused time", full_amount=-900, currency="USD", period_start=JAN,
                           period_end=FEB, proration_factor=D("0.5"), amount=amount)


def discount(pk=3, *, percent_off=None, amount_off=None, currency=""):
    return SimpleNamespace(pk=pk, coupon=SimpleNamespace(code=f"C{pk}", name="Coupon", percent_off=percent_off,
                                                         amount_off=amount_off, currency=currency))


def decide(subscription=None, *, status_before="active", billed=(), charges=(CALLS,), usage=USAGE, late=(),
           prorations=(), discounts=()):
    return renewal_decide(subscription=subscription or renewed(), status_before=status_before, ended=ENDED,
                          billed=set(billed), terms=TERMS, charges=charges, usage=usage, late_usage=late,
                          prorations=list(prorations), discounts=list(discounts))


def test_an_active_renewal_bills_the_ended_usage_in_arrears_and_the_new_period_in_advance():
    renewal = decide()
    assert renewal.records == ((BillingKind.ARREARS, ENDED), (BillingKind.ADVANCE, NEXT))
    assert renewal.advance == NEXT and renewal.ended == ENDED and renewal.coupons_used_from == FEB
    data = renewal.data
    assert data.recurring == Recurring(flat_price=D(99), seat_price=D(5), included_seats=2, seats=5,
                                       plan_name="Standard")
    assert (data.advance_period, data.charges, data.usage, data.usage_period) == (NEXT, (CALLS,), USAGE, ENDED)


def test_a_new_period_billed_in_advance_already_is_not_billed_again():
    renewal = decide(billed={(BillingKind.ADVANCE, FEB)})
    assert renewal.records == ((BillingKind.ARREARS, ENDED),)
    assert renewal.advance is None and renewal.data.recurring is None and renewal.data.advance_period is None
    assert renewal.coupons_used_from == JAN  # the coupons count for the ended period then
    assert renewal.data.usage == USAGE


def test_a_pause_bills_usage_but_no_fee_unless_it_bills_during_the_pause():
    paused = decide(renewed("paused"), status_before="paused")
    assert paused.data.recurring is None and paused.records == ((BillingKind.ARREARS, ENDED),)
    assert paused.data.usage == USAGE
    billing = decide(renewed("paused", bill_during_pause=True), status_before="paused")
    assert billing.advance == NEXT and billing.data.recurring is not None


def test_a_subscription_canceled_at_the_period_end_bills_its_usage_and_no_new_period():
    renewal = decide(renewed("canceled"))
    assert renewal.advance is None and renewal.data.recurring is None
    assert renewal.records == ((BillingKind.ARREARS, ENDED),) and renewal.data.usage == USAGE


def test_a_period_that_did_not_move_to_the_end_of_the_ended_one_is_not_billed_in_advance():
    assert decide(renewed(start=MAR, end=datetime(2026, 4, 1, tzinfo=UTC))).advance is None


def test_a_trial_bills_no_usage_and_a_trial_that_ended_canceled_bills_nothing():
    converted = decide(renewed("active"), status_before="trialing")
    assert (converted.data.charges, converted.data.usage, converted.data.usage_period) == ((), {}, None)
    assert converted.advance == NEXT
    assert decide(renewed("canceled"), status_before="trialing") is None
    assert not bills_usage("trialing") and bills_usage("canceled") and bills_usage("paused")


def test_prorations_or_late_usage_alone_are_billed():
    late = (LateUsage("calls", "", Period(datetime(2025, 12, 1, tzinfo=UTC), JAN), D(10), D(2)),)
    for kwargs in ({"prorations": [proration()]}, {"late": late}):
        renewal = decide(renewed("canceled"), status_before="trialing", **kwargs)
        assert renewal is not None and renewal.records == ((BillingKind.ARREARS, ENDED),)
    assert decide(prorations=[proration()]).data.prorations[0].reference == "proration:7"
    assert decide(late=late).data.late_usage == late


def test_coupons_in_the_invoice_currency_apply_and_every_active_discount_is_kept_for_marking():
    percent, euros = discount(3, percent_off=D(10)), discount(4, amount_off=500, currency="EUR")
    renewal = decide(discounts=[percent, euros])
    assert [c.reference for c in renewal.data.coupons] == ["discount:3"]
    assert renewal.discounts == (percent, euros)


def test_the_ended_period_billed_already_and_how_invoices_are_collected():
    assert arrears_billed({(BillingKind.ARREARS, JAN)}, ENDED)
    assert not arrears_billed({(BillingKind.ADVANCE, JAN), (BillingKind.ARREARS, FEB)}, ENDED)
    assert collection_method_for(SimpleNamespace(metadata=None)) == "charge_automatically"
    assert collection_method_for(SimpleNamespace(metadata={"collection_method": "send_invoice"})) == "send_invoice"


def test_late_lines_bill_only_what_grew_since_it_was_invoiced():
    counted = {("calls", ""): D(12), ("tokens", "model=a"): D(5), ("tokens", "model=b"): D(3), ("peak", ""): D(4)}
    billed = {("calls", ""): D(10), ("tokens", "model=a"): D(5), ("peak", ""): D(6)}
    assert late_lines(ENDED, counted, billed) == [
        LateUsage("calls", "", ENDED, D(10), D(2)),
        LateUsage("tokens", "model=b", ENDED, D(0), D(3)),
    ]
