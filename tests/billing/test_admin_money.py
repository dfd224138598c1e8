"""Amounts in the billing admin are typed and shown in major units with the currency's own digits."""

import pytest
from django import forms

from billing import tenancy
from billing.models import Coupon, CreditEntry, PlanPrice, Subscription
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from billing.services import subscription_create, subscription_overrides_set
from tests.billing.catalog_factories import plan
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def GrantForm(*args, **kwargs):  # built per test: the page tests below need no new module to run
    from billing.admin.money import MoneyField, MoneyFormMixin

    class GrantForm(MoneyFormMixin, forms.Form):
        amount = MoneyField()
        currency = forms.CharField()

    return GrantForm(*args, **kwargs)


def RefundForm(*args, **kwargs):
    from billing.admin.money import MoneyActionForm, MoneyField

    class RefundForm(MoneyActionForm):
        amount = MoneyField(required=False)

    return RefundForm(*args, **kwargs)


@pytest.mark.parametrize(("typed", "currency", "minor"), [
    ("10.00", "USD", 1000), ("10", "usd", 1000), ("$5.00", "USD", 500), ("1,250.50", "USD", 125050),
    ("1000", "JPY", 1000), ("1,000", "JPY", 1000), ("¥1,000", "JPY", 1000), ("1.250", "BHD", 1250),
    ("1.25 BHD", "BHD", 1250),
])
def test_what_a_person_types_becomes_minor_units_of_the_currency(typed, currency, minor):
    form = GrantForm({"amount": typed, "currency": currency})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == minor


@pytest.mark.parametrize(("typed", "currency", "error"), [
    ("1000.5", "JPY", "JPY has no decimals."), ("10.001", "USD", "USD has only 2 decimals."),
    ("1.2345", "BHD", "BHD has only 3 decimals."), ("10,50", "USD", "Did you mean"), ("ten", "USD", "Type an amount"),
    ("-5", "USD", "Must not be negative."), ("1e3", "USD", "Type an amount"), ("1_000", "USD", "Type an amount"),
    ("9" * 30, "USD", "Too large an amount."),
])
def test_an_amount_the_currency_cannot_hold_is_an_error_on_that_field(typed, currency, error):
    form = GrantForm({"amount": typed, "currency": currency})
    assert not form.is_valid()
    assert error in " ".join(form.errors["amount"])


def test_an_unknown_currency_is_an_error_on_the_currency_field():
    form = GrantForm({"amount": "5", "currency": "XYZ"})
    assert not form.is_valid() and "XYZ is not an ISO 4217 currency code." in form.errors["currency"]


def test_an_amount_for_rows_in_several_currencies_is_refused():
    form = RefundForm({"amount": "5"}, currencies=["USD", "EUR"])
    assert not form.is_valid() and "The selection is in EUR and USD" in form.errors["amount"][0]
    assert RefundForm({"amount": ""}, currencies=["USD", "EUR"]).is_valid()


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


def test_a_credit_grant_is_typed_in_major_units_and_confirmed_with_its_amount(acme):
    client = staff("fin", FINANCE_ADMIN)
    typed = {"account": acme.pk, "amount": "10.00", "currency": "usd", "reason": "Outage"}
    page = client.post("/admin/billing/creditentry/add/", typed).content.decode()
    assert "Grant $10.00 of credit to Acme: its USD credit balance goes $0.00 → $10.00" in page
    with tenancy.operator_scope():
        assert not CreditEntry.objects.exists()
    done = client.post("/admin/billing/creditentry/add/", {**typed, "_confirm": "1"}, follow=True).content.decode()
    assert "Granted $10.00 of credit to Acme (Outage)." in done
    with tenancy.operator_scope():
        entry = CreditEntry.objects.get()
    assert (entry.amount, entry.currency) == (1000, "USD")
    listing = client.get("/admin/billing/creditentry/").content.decode()
    assert "$10.00" in listing
    assert "$10.00" in client.get(f"/admin/billing/creditentry/{entry.pk}/change/").content.decode()


@pytest.mark.parametrize(("typed", "currency", "error"), [
    ("1000.5", "JPY", "JPY has no decimals."), ("10.001", "USD", "USD has only 2 decimals.")])
def test_a_credit_grant_with_more_decimals_than_its_currency_is_a_form_error(acme, typed, currency, error):
    client = staff("fin", FINANCE_ADMIN)
    for extra in ({}, {"_confirm": "1"}):
        page = client.post("/admin/billing/creditentry/add/", {
            "account": acme.pk, "amount": typed, "currency": currency, "reason": "Outage", **extra})
        assert page.status_code == 200 and error in page.content.decode()
    with tenancy.operator_scope():
        assert not CreditEntry.objects.exists()


def test_a_plan_is_created_with_its_price_in_major_units():
    client = staff("fin", FINANCE_ADMIN)
    response = client.post("/admin/billing/plan/add/", {
        "code": "yen", "name": "Yen", "currency": "JPY", "flat_amount": "5,000", "seat_amount": "500",
        "included_seats": 1, "interval": "month", "interval_count": 1, "trial_days": 0,
        "trial_end_behavior": "incomplete", "is_public": "on", "is_active": "on", "sort_order": 0, "features": "[]",
        "upgrade_timing": "immediate", "downgrade_timing": "period_end", "proration_behavior": "create_prorations",
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenancy.operator_scope():
        price = PlanPrice.objects.get(version__plan__code="yen")
    assert (price.currency, price.flat_amount, price.seat_amount) == ("JPY", 5000, 500)
    page = client.get(f"/admin/billing/plan/{price.version.plan_id}/change/").content.decode()
    assert "¥5,000" in page and "¥500" in page


def test_a_plan_versions_prices_are_shown_in_major_units_and_to_viewers_formatted():
    with tenancy.operator_scope():
        pro = plan(code="pro", flat=4_900, seat=1_250, currency="BHD")
    url = f"/admin/billing/planversion/{pro.current_version_id}/change/"
    editor = staff("fin", FINANCE_ADMIN).get(url).content.decode()
    assert 'value="4.900"' in editor and 'value="1.250"' in editor
    viewer = staff("viewer", FINANCE_VIEWER).get(url).content.decode()
    assert "BHD\u00a04.900" in viewer and "4900" not in viewer


def test_a_coupons_amount_off_is_typed_and_shown_in_major_units():
    client = staff("fin", FINANCE_ADMIN)
    response = client.post("/admin/billing/coupon/add/", {
        "code": "five", "name": "Five off", "amount_off": "5.00", "currency": "USD", "duration": "once",
        "is_active": "on", "promotion_codes-TOTAL_FORMS": 0, "promotion_codes-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenancy.operator_scope():
        coupon = Coupon.objects.get(code="five")
    assert coupon.amount_off == 500
    assert "$5.00" in client.get("/admin/billing/coupon/").content.decode()
    assert "$5.00" in client.get(f"/admin/billing/coupon/{coupon.pk}/change/").content.decode()


def test_a_deals_prices_are_shown_in_major_units(make_account):
    account = make_account("Deal")
    with tenancy.operator_scope():
        sub = subscription_create(account=account, plan=plan(code="deal", flat=9_000))
        subscription_overrides_set(subscription=sub, flat_amount=42_000)
        sub = Subscription.objects.get(pk=sub.pk)
    url = f"/admin/billing/subscription/{sub.pk}/change/"
    assert 'value="420.00"' in staff("fin", FINANCE_ADMIN).get(url).content.decode()
    viewer = staff("viewer", FINANCE_VIEWER).get(url).content.decode()
    assert "$420.00" in viewer and "42000" not in viewer


def test_a_plan_change_is_confirmed_with_its_prorations_and_next_renewal_in_major_units(make_account):
    account = make_account("Upgrader")
    with tenancy.operator_scope():
        sub = subscription_create(account=account, plan=plan(code="basic", flat=9_000))
        pro = plan(code="pro", flat=20_000)
    client = staff("fin", FINANCE_ADMIN)
    typed = {"action": "change_plan", "_selected_action": [sub.pk], "plan": pro.pk, "reason": "Upgrade asked"}
    preview = client.post("/admin/billing/subscription/", {**typed, "_preview": "1"}).content.decode()
    assert f"Change {sub} (Upgrader) from Basic ×1 to Pro ×1 now." in preview
    assert "Prorations: " in preview and ": $200.00." in preview and "20000" not in preview
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).plan_id != pro.pk
    done = client.post("/admin/billing/subscription/", {**typed, "_confirm": "1"}, follow=True).content.decode()
    assert "next renewal $200.00." in done
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).plan_id == pro.pk


def test_a_tiers_flat_fee_is_typed_and_shown_in_major_units():
    from tests.billing.catalog_factories import metric

    with tenancy.operator_scope():
        calls = metric("api_calls")
        tiered = plan(code="tiered", flat=1_000, charges=[{
            "metric": "api_calls", "currency": "USD", "model": "graduated",
            "tiers": [{"up_to": 100, "unit_price": "0", "flat_fee": 500}, {"up_to": None, "unit_price": "0.01"}]}])
        version = tiered.current_version
        price, charge = version.prices.get(), version.charges.get()
    url = f"/admin/billing/planversion/{version.pk}/change/"
    client = staff("fin", FINANCE_ADMIN)
    assert "&quot;flat_fee&quot;: &quot;5.00&quot;" in client.get(url).content.decode()
    data = {"included_seats": 1, "max_seats": "", "note": "",
            "prices-TOTAL_FORMS": 1, "prices-INITIAL_FORMS": 1, "prices-0-id": price.pk,
            "prices-0-version": version.pk, "prices-0-currency": "USD", "prices-0-flat_amount": "10.00",
            "prices-0-seat_amount": "",
            "charges-TOTAL_FORMS": 1, "charges-INITIAL_FORMS": 1, "charges-0-id": charge.pk,
            "charges-0-version": version.pk, "charges-0-metric": calls.pk, "charges-0-currency": "USD",
            "charges-0-model": "graduated", "charges-0-unit_price": "0", "charges-0-block_size": 1,
            "charges-0-package_size": 1, "charges-0-free_units": 0,
            "charges-0-tiers": '[{"up_to": 100, "unit_price": "0", "flat_fee": "7.50"}, '
                               '{"up_to": null, "unit_price": 0.01, "flat_fee": null}]',
            "limits-TOTAL_FORMS": 0, "limits-INITIAL_FORMS": 0}
    refused = client.post(url, {**data, "charges-0-tiers": '[{"up_to": null, "unit_price": "0", "flat_fee": 7.505}]'})
    assert refused.status_code == 200 and "Tier 1: flat_fee: USD has only 2 decimals." in refused.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenancy.operator_scope():
        tiers = type(tiered).objects.get(pk=tiered.pk).current_version.charges.get().tiers
    assert [t["flat_fee"] for t in tiers] == [750, 0]


def test_amounts_are_read_and_shown_in_the_pages_language():
    from django.utils import translation

    from billing.admin.money import show_money

    with translation.override("fr"):
        form = GrantForm({"amount": "1 000,50", "currency": "EUR"})
        assert form.is_valid() and form.cleaned_data["amount"] == 100050
        assert show_money(100050, "EUR") == "1\u202f000,50\u00a0€"
    with translation.override("de"):
        assert not GrantForm({"amount": "5.00", "currency": "EUR"}).is_valid()  # 5.00 is no German amount
