"""No amount a client or a person can type makes a derived total overflow (pricing/money.py has the bounds).

A typed amount is at most MAX_AMOUNT (API, admin, catalog files); a line priced from prices (flat, seats,
proration, one-off) at most MAX_LINE_AMOUNT, past which the request answers 422 naming the inputs to lower;
an invoice's total at most MAX_INVOICE_AMOUNT. A subscription whose stored terms pass them (written
before the bounds) answers 422 on its upcoming invoice, and the bill run records it as a failure that
says what to lower while it bills the others."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.test import Client

from billing import clock, tenancy
from billing.admin.money import MoneyField, MoneyFormMixin
from billing.errors import BillingError
from billing.models import Coupon, CreditEntry, Plan, Subscription
from billing.outbox import outbox_deliver_batch
from billing.services import membership_add, subscription_create
from billing.services.catalog_loader import catalog_load
from invoicing.adapters import price_invoice
from invoicing.models import BillRunFailure, Invoice, InvoiceLine, RenewalNotice
from invoicing.services import invoice_create_draft
from invoicing.services.bill_run_failures import bill_run_failure_retry
from invoicing.services.bill_runs import bill_run_start
from invoicing.services.reminders import renewal_reminders_record
from pricing import Charge, InvoiceInput, OneOff, Period, Proration, Recurring
from pricing.money import MAX_AMOUNT, MAX_INVOICE_AMOUNT, MAX_LINE_AMOUNT, MAX_USAGE_AMOUNT
from tests.billing.catalog_factories import metric, plan
from tests.invoicing.factories import draft, utc

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)
SEAT_PRICE = MAX_AMOUNT  # the most a seat may be typed at: ten seats beyond the included one pass a line
BILLABLE_SEATS_ALLOWED = MAX_LINE_AMOUNT // SEAT_PRICE  # 9


@pytest.fixture
def operator_client(api_client, api_key_for):
    key = api_key_for(None, ["billing:read", "billing:write"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client


@pytest.fixture
def seats(operator):
    return plan(code="seats", flat=9_900, seat=SEAT_PRICE, included_seats=1)


def refused(response, status: int, *fields: str) -> str:
    """The error's message, once the answer is `status` naming each of `fields`."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(fields) <= set(error["fields"]), error
    return error["message"]


def legacy(subscription: Subscription, **stored) -> None:
    """Terms stored before the bounds existed (no request can write them now)."""
    with tenancy.operator_scope():
        Subscription.objects.filter(pk=subscription.pk).update(**stored)


def deliver():
    while outbox_deliver_batch():
        pass


# --- typed amounts ------------------------------------------------------------------------------------------------


def test_an_override_past_what_may_be_typed_is_refused_by_name(operator_client, make_account, seats):
    with tenancy.operator_scope():
        sub = subscription_create(account=make_account("Deal"), plan=seats)
    url = f"/api/v1/subscriptions/{sub.pk}/overrides"
    for amount in (2**63 - 1, MAX_AMOUNT + 1):
        message = refused(operator_client.post(url, {"flat_amount": amount}, format="json"), 400, "flat_amount")
        assert message == "Some fields are invalid."
    assert operator_client.post(url, {"flat_amount": MAX_AMOUNT}, format="json").json()["flat_amount_override"] \
        == MAX_AMOUNT
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).flat_amount_override == MAX_AMOUNT


def test_in_a_currency_without_decimals_the_largest_override_is_still_an_invoice_line(operator_client, make_account,
                                                                                     operator):
    """10^14 yen would not fit a line's unit price (14 digits before the point): the upcoming invoice
    answered 500 on it. Typed amounts stop below that."""
    yen = plan(code="yen", flat=5_000, currency="JPY")
    sub = subscription_create(account=make_account("Tokyo"), plan=yen)
    url = f"/api/v1/subscriptions/{sub.pk}/overrides"
    refused(operator_client.post(url, {"flat_amount": 10**14}, format="json"), 400, "flat_amount")
    assert operator_client.post(url, {"flat_amount": MAX_AMOUNT}, format="json").status_code == 200
    upcoming = operator_client.get(f"/api/v1/invoices/upcoming?subscription_id={sub.pk}")
    assert upcoming.status_code == 200, upcoming.content
    flat, = upcoming.json()["lines"]
    assert (flat["amount"], flat["unit_price"]) == (MAX_AMOUNT, "10000000000000.000000")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/plans", {"code": "big", "name": "Big", "prices": {"USD": {"flat_amount": MAX_AMOUNT + 1}}},
     "prices.USD.flat_amount"),
    ("/api/v1/plans", {"code": "big", "name": "Big", "prices": {"USD": {"flat_amount": 0, "seat_amount": 2**62}}},
     "prices.USD.seat_amount"),
    ("/api/v1/plans", {"code": "big", "name": "Big", "prices": {"USD": {"flat_amount": 0}}, "charges": [
        {"metric": "calls", "currency": "USD", "model": "graduated",
         "tiers": [{"up_to": None, "unit_price": "0.01", "flat_fee": MAX_AMOUNT + 1}]}]},
     "charges.0.tiers.0.flat_fee"),
    ("/api/v1/coupons", {"code": "big", "name": "Big", "amount_off": MAX_AMOUNT + 1, "currency": "USD"},
     "amount_off"),
    ("/api/v1/accounts/{account}/credits", {"amount": MAX_AMOUNT + 1, "currency": "USD", "reason": "x"}, "amount"),
])
def test_an_amount_past_what_may_be_typed_is_refused_by_the_api_and_nothing_is_written(
        operator_client, make_account, path, body, field):
    account = make_account("Acme")
    with tenancy.operator_scope():
        metric("calls")
    message = refused(operator_client.post(path.format(account=account.pk), body, format="json"), 400, field)
    assert message == "Some fields are invalid."
    with tenancy.operator_scope():
        assert not (Plan.objects.filter(code="big").exists() or Coupon.objects.exists()
                    or CreditEntry.objects.exists())


def test_an_amount_past_what_may_be_typed_is_refused_in_the_admin_and_in_catalog_files(operator):
    class GrantForm(MoneyFormMixin, forms.Form):
        amount = MoneyField()
        currency = forms.CharField()

    too_much = GrantForm({"amount": "100,000,000,000.01", "currency": "USD"})
    assert not too_much.is_valid() and "At most $100,000,000,000.00." in too_much.errors["amount"][0]
    assert GrantForm({"amount": "100,000,000,000.00", "currency": "USD"}).is_valid()
    data = {"currency": "USD", "plans": [{"code": "big", "name": "Big", "price": "100000000000.01"}]}
    with pytest.raises(BillingError) as exc:
        catalog_load(data=data)
    assert exc.value.fields == {"plans.big.price.USD": ["At most $100,000,000,000.00."]}
    assert not Plan.objects.filter(code="big").exists()


# --- lines priced from prices -----------------------------------------------------------------------------------


def test_seats_that_would_cost_more_than_a_line_are_refused_when_chosen(operator_client, make_account, seats):
    account = make_account("Many seats")
    too_many = 1 + BILLABLE_SEATS_ALLOWED + 1
    created = operator_client.post("/api/v1/subscriptions", {"account_id": account.pk, "plan": "seats",
                                                              "quantity": too_many}, format="json")
    message = refused(created, 422, "quantity")
    assert created.json()["error"]["code"] == "amount_too_large"
    assert "more than one invoice line may ($999,999,999,999.99): choose fewer seats." in message
    with tenancy.operator_scope():
        assert not Subscription.objects.exists()

    allowed = operator_client.post("/api/v1/subscriptions", {"account_id": account.pk, "plan": "seats",
                                                              "quantity": too_many - 1}, format="json")
    assert allowed.status_code == 201, allowed.content
    change = f"/api/v1/subscriptions/{allowed.json()['id']}/change"
    for preview in (True, False):
        refused(operator_client.post(change, {"quantity": too_many, "preview": preview}, format="json"), 422,
                "quantity")
    with tenancy.operator_scope():
        assert Subscription.objects.get().quantity == too_many - 1


def test_an_override_that_makes_the_seats_cost_more_than_a_line_is_refused(operator_client, make_account, seats):
    with tenancy.operator_scope():
        sub = subscription_create(account=make_account("Deal"), plan=seats, quantity=1 + BILLABLE_SEATS_ALLOWED)
    url = f"/api/v1/subscriptions/{sub.pk}/overrides"
    message = refused(operator_client.post(url, {"flat_amount": MAX_AMOUNT, "included_seats": 0}, format="json"),
                      422, "flat_amount", "included_seats")
    assert "lower the flat or seat amount, or include more seats." in message
    with tenancy.operator_scope():
        assert Subscription.objects.filter(pk=sub.pk, flat_amount_override=None,
                                           included_seats_override=None).exists()


def test_a_one_off_line_past_the_line_bound_is_refused_and_the_draft_is_unchanged(operator_client, make_account):
    account = make_account("Lines")
    with tenancy.operator_scope():
        drafted = draft(account, ("Plan", 1, "1.00"))
    url = f"/api/v1/invoices/{drafted.pk}/lines"
    huge = {"description": "Huge", "unit_price": "99999999999999.999999", "quantity": "999999999999999999"}
    message = refused(operator_client.post(url, huge, format="json"), 422, "quantity", "unit_price")
    assert message.startswith("“Huge” (999999999999999999 × $99,999,999,999,999.999999) would cost ")
    assert message.endswith("lower the quantity or the unit price.")
    at_the_bound = {"description": "Largest", "unit_price": "999999999999.99", "quantity": 1}
    added = operator_client.post(url, at_the_bound, format="json")
    assert added.status_code == 201 and added.json()["subtotal"] == 100 + MAX_LINE_AMOUNT
    with tenancy.operator_scope():
        assert InvoiceLine.objects.filter(invoice=drafted).count() == 2


def test_the_engine_refuses_a_line_priced_past_the_bound_naming_its_inputs():
    period = Period(JAN, FEB)
    seat_price = Decimal(MAX_AMOUNT) / 100
    nine = price_invoice(InvoiceInput(currency="USD", advance_period=period, recurring=Recurring(
        seat_price=seat_price, included_seats=1, seats=10, plan_name="Seats")))
    assert nine.lines[1].amount == 9 * MAX_AMOUNT
    cases = [
        (InvoiceInput(currency="USD", advance_period=period, recurring=Recurring(
            seat_price=seat_price, included_seats=1, seats=2**31 - 1, plan_name="Seats")),
         {"quantity", "seat_amount"}, "lower the quantity or the seat amount."),
        (InvoiceInput(currency="USD", advance_period=period, recurring=Recurring(
            flat_price=Decimal(2**63 - 1) / 100, plan_name="Legacy")),
         {"flat_amount"}, "lower the flat amount (the subscription's override or the plan's price)."),
        (InvoiceInput(currency="JPY", prorations=(Proration("Remaining time", Decimal(10**14), Decimal(1), period,
                                                            Decimal("0.5")),)),
         {"quantity", "flat_amount", "seat_amount"}, "lower its flat amount, seat amount or quantity."),
        (InvoiceInput(currency="BHD", one_offs=(OneOff("Credit", Decimal(10**6), Decimal("-99999999999.999")),)),
         {"quantity", "unit_price"}, "lower the quantity or the unit price."),
    ]
    for data, fields, fix in cases:
        with pytest.raises(BillingError) as exc:
            price_invoice(data)
        assert (exc.value.status, exc.value.code, set(exc.value.fields)) == (422, "amount_too_large", fields)
        assert exc.value.message.endswith(fix)


def test_an_invoice_past_the_invoice_bound_is_refused_before_it_is_written(make_account):
    """Each charge's usage is capped, not refused; so many charges at their cap that the total passes
    what an invoice may hold are refused whole."""
    charges = tuple(Charge(f"m{n}", "standard", unit_price=Decimal("1000000")) for n in range(101))
    usage = {(c.metric_code, ""): Decimal(10**12) for c in charges}
    priced = price_invoice(InvoiceInput(currency="USD", charges=charges, usage=usage, usage_period=Period(JAN, FEB)))
    assert priced.subtotal == 101 * MAX_USAGE_AMOUNT > MAX_INVOICE_AMOUNT
    account = make_account("Many charges")
    with tenancy.operator_scope(), pytest.raises(BillingError) as exc:
        invoice_create_draft(account=account, currency="USD", priced=priced)
    assert (exc.value.status, exc.value.code) == (422, "amount_too_large")
    assert "more than one invoice may ($10,000,000,000,000,000.00)" in exc.value.message
    with tenancy.operator_scope():
        assert not Invoice.objects.exists()


# --- terms stored before the bounds -------------------------------------------------------------------------------


def test_the_upcoming_invoice_of_terms_past_the_bounds_answers_422_naming_the_subscription(
        operator_client, make_account, seats):
    with tenancy.operator_scope():
        many = subscription_create(account=make_account("Many"), plan=seats)
        flat = subscription_create(account=make_account("Flat"), plan=seats)
    legacy(many, quantity=2**31 - 1)
    legacy(flat, flat_amount_override=2**63 - 1)
    for sub, fix in ((many, "lower the quantity or the seat amount."), (flat, "lower the flat amount")):
        answer = operator_client.get(f"/api/v1/invoices/upcoming?subscription_id={sub.pk}")
        message = refused(answer, 422, "subscription_id")
        assert message.startswith(f"Subscription {sub.pk}: ") and fix in message


def test_the_console_and_the_renewal_reminders_show_no_estimate_for_terms_past_the_bounds(make_account, seats):
    """The customer is shown no made-up figure and is sent none; the others are estimated and reminded."""
    account = make_account("Legacy Ltd")
    user = get_user_model().objects.create_user("alice", password="x")
    membership_add(account=account, user=user, role="owner")
    with clock.frozen(JAN):
        bad = subscription_create(account=account, plan=seats)
        fine = subscription_create(account=make_account("Fine Ltd"), plan=seats)
    legacy(bad, flat_amount_override=2**63 - 1)
    client = Client()
    client.force_login(user)
    page = client.get("/console/invoices/")
    assert page.status_code == 200
    assert "Seats</td><td>February 1, 2026</td><td>—</td>" in page.content.decode()
    with clock.frozen(FEB - timedelta(days=6)), tenancy.operator_scope():  # as the beat job runs
        assert renewal_reminders_record() == 1
        assert RenewalNotice.objects.get().subscription_id == fine.pk


def test_terms_past_the_bounds_can_be_lowered_without_crediting_them(operator_client, make_account, seats):
    """Their unused time cannot be credited (the credit would not fit a line): a change that would
    prorate them answers 422 naming proration_behavior; without proration it goes through."""
    with tenancy.operator_scope():
        sub = subscription_create(account=make_account("Many"), plan=seats)
    legacy(sub, quantity=2**31 - 1)
    change = f"/api/v1/subscriptions/{sub.pk}/change"
    message = refused(operator_client.post(change, {"quantity": 2, "timing": "immediate"}, format="json"), 422,
                      "proration_behavior")
    assert message.endswith("its unused time cannot be credited: give proration_behavior none.")
    lowered = operator_client.post(change, {"quantity": 2, "timing": "immediate", "proration_behavior": "none"},
                                   format="json")
    assert lowered.status_code == 200, lowered.content
    upcoming = operator_client.get(f"/api/v1/invoices/upcoming?subscription_id={sub.pk}")
    assert upcoming.status_code == 200 and upcoming.json()["total"] == 9_900 + SEAT_PRICE


def test_the_bill_run_records_a_subscription_past_the_bounds_saying_what_to_lower_and_bills_the_others(
        make_account, seats, operator_client):
    subs = []
    for name in ("Good One", "Legacy Deal", "Good Two"):
        with clock.frozen(JAN):
            subs.append(subscription_create(account=make_account(name), plan=seats))
    deliver()  # the first invoices (January, in advance)
    good_one, bad, good_two = subs
    legacy(bad, flat_amount_override=2**63 - 1)

    with clock.frozen(FEB + timedelta(minutes=5)):
        run = bill_run_start()
    run.refresh_from_db()
    assert (run.invoices_created, run.errors) == (2, 1)
    for good in (good_one, good_two):
        assert Invoice.objects.filter(subscription=good, billing_reason="subscription_cycle").count() == 1
    failure = BillRunFailure.objects.get()
    assert (failure.subscription_id, failure.error_class) == (bad.pk, "billing.errors.AmountTooLarge")
    assert failure.error_message == (
        "“Seats” (1 × $92,233,720,368,547,758.07) would cost $92,233,720,368,547,758.07, more than one invoice "
        "line may ($999,999,999,999.99): lower the flat amount (the subscription's override or the plan's price).")

    fixed = operator_client.post(f"/api/v1/subscriptions/{bad.pk}/overrides", {"flat_amount": 9_900}, format="json")
    assert fixed.status_code == 200, fixed.content
    with clock.frozen(FEB + timedelta(hours=1)), tenancy.operator_scope():  # finance's "retry now"
        assert bill_run_failure_retry(failure_id=failure.pk) == "billed"
        assert Invoice.objects.get(subscription=bad, billing_reason="subscription_cycle").total == 9_900
