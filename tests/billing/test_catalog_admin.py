"""The finance admin for plans, versions, subscriptions and credits goes through the services."""

import pytest

from billing import tenancy
from billing.models import CreditEntry, PlanVersion, Subscription
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from billing.services import subscription_create
from tests.billing.catalog_factories import metric, plan
from tests.helpers import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed(make_account):
    account = make_account("Acme")
    with tenancy.operator_scope():
        metric("api_calls")
        pro = plan(code="pro", flat=9_000, limits=[{"metric": "api_calls", "included": 1000}])
        sub = subscription_create(account=account, plan=pro)
    return account, pro, sub


def test_every_catalog_page_renders_for_finance(subscribed):
    account, pro, sub = subscribed
    client = staff("fin", FINANCE_ADMIN)
    for url in ["/admin/billing/plan/", f"/admin/billing/plan/{pro.pk}/change/", "/admin/billing/plan/add/",
                f"/admin/billing/planversion/{pro.current_version_id}/change/", "/admin/billing/subscription/",
                f"/admin/billing/subscription/{sub.pk}/change/", "/admin/billing/coupon/add/",
                "/admin/billing/creditentry/", "/admin/billing/creditentry/add/", "/admin/billing/product/add/",
                f"/admin/billing/account/{account.pk}/change/"]:
        assert client.get(url).status_code == 200, url


def test_finance_cancels_through_an_action_and_viewers_cannot(subscribed):
    _, _, sub = subscribed
    # Confirmed with a reason (the action's confirmation page, billing/admin/confirm.py).
    form = {"action": "cancel_at_period_end", "_selected_action": [sub.pk], "reason": "Asked by the customer",
            "_confirm": "1"}
    staff("viewer", FINANCE_VIEWER).post("/admin/billing/subscription/", form)
    with tenancy.operator_scope():
        assert not Subscription.objects.get(pk=sub.pk).cancel_at_period_end
    staff("fin", FINANCE_ADMIN).post("/admin/billing/subscription/", form)
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).cancel_at_period_end


def test_editing_a_subscribed_version_in_the_admin_creates_a_new_version(subscribed):
    _, pro, _ = subscribed
    with tenancy.operator_scope():
        version = pro.current_version
        price = version.prices.get()
        limit = version.limits.get()
    data = {
        "included_seats": 1, "max_seats": "", "note": "price rise",
        "prices-TOTAL_FORMS": 1, "prices-INITIAL_FORMS": 1, "prices-0-id": price.pk, "prices-0-version": version.pk,
        "prices-0-currency": "USD", "prices-0-flat_amount": "120.00", "prices-0-seat_amount": "",
        "charges-TOTAL_FORMS": 0, "charges-INITIAL_FORMS": 0,
        "limits-TOTAL_FORMS": 1, "limits-INITIAL_FORMS": 1, "limits-0-id": limit.pk, "limits-0-version": version.pk,
        "limits-0-metric": limit.metric_id, "limits-0-included": 1000, "limits-0-cap_mode": "soft",
        "limits-0-overage_allowed": "on", "limits-0-grace_percent": 0, "limits-0-alert_thresholds": "80,100,120",
    }
    response = staff("fin", FINANCE_ADMIN).post(f"/admin/billing/planversion/{version.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    with tenancy.operator_scope():
        versions = {v.version: v.prices.get().flat_amount for v in PlanVersion.objects.filter(plan=pro)}
    assert versions == {1: 9_000, 2: 12_000}


def test_finance_grants_credit_in_the_admin(subscribed):
    account, _, _ = subscribed
    response = staff("fin", FINANCE_ADMIN).post("/admin/billing/creditentry/add/", {
        "account": account.pk, "amount": "20.00", "currency": "usd", "reason": "outage", "expires_at": "",
        "_confirm": "1"})
    assert response.status_code == 302
    with tenancy.operator_scope():
        entry = CreditEntry.objects.get()
    assert (entry.kind, entry.amount, entry.currency) == ("grant", 2_000, "USD")


def test_finance_sets_an_enterprise_deal_in_the_admin(subscribed):
    from billing.selectors import entitlements_for, plan_terms_for

    account, _, sub = subscribed
    with tenancy.operator_scope():
        api_calls = metric("api_calls")
    data = {"flat_amount_override": "420.00", "seat_amount_override": "", "included_seats_override": 10,
            "scheduled_changes-TOTAL_FORMS": 0, "scheduled_changes-INITIAL_FORMS": 0,
            "proration_items-TOTAL_FORMS": 0, "proration_items-INITIAL_FORMS": 0,
            "discounts-TOTAL_FORMS": 0, "discounts-INITIAL_FORMS": 0,
            "metric_overrides-TOTAL_FORMS": 1, "metric_overrides-INITIAL_FORMS": 0,
            "metric_overrides-0-metric": api_calls.pk, "metric_overrides-0-included": 9_999,
            "metric_overrides-0-overage_allowed": "unknown"}
    response = staff("fin", FINANCE_ADMIN).post(f"/admin/billing/subscription/{sub.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    with tenancy.operator_scope():
        sub = Subscription.objects.get(pk=sub.pk)
        terms = plan_terms_for(sub)
        (limit,) = entitlements_for(account_id=account.pk)
    assert (terms.flat_amount, terms.included_seats, limit.included) == (42_000, 10, 9_999)
