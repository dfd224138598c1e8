"""plan_terms_for_many gives every subscription exactly what plan_terms_for gives it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Subscription
from billing.selectors import plan_terms_for
from billing.selectors.terms_bulk import plan_terms_for_many
from billing.services import subscription_create, subscription_overrides_set
from tests.billing.catalog_factories import metric, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(operator):
    metric("api_calls")
    metric("storage_gb")
    metric("tokens")
    pro = plan(code="pro", flat=9_900, seat=500, included_seats=25, charges=[
        {"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.001", "free_units": 100},
        {"metric": "storage_gb", "currency": "USD", "model": "graduated",
         "tiers": [{"up_to": 100, "unit_price": "0.50"}, {"up_to": None, "unit_price": "0.25", "flat_fee": 100}]},
        {"metric": "tokens", "currency": "EUR", "model": "package", "unit_price": "2", "package_size": 1000},
    ])
    basic = plan(code="basic", flat=1_000)
    euro = plan(code="euro", flat=2_000, currency="EUR", charges=[
        {"metric": "tokens", "currency": "EUR", "model": "package", "unit_price": "2", "package_size": 1000}])
    return pro, basic, euro


def test_the_bulk_terms_equal_the_single_ones(plans, make_account, operator):
    pro, basic, euro = plans
    subs = [subscription_create(account=make_account(), plan=p, quantity=q)
            for p, q in ((pro, 30), (pro, 1), (basic, 2), (euro, 1), (pro, 7))]
    subscription_overrides_set(subscription=subs[1], flat_amount=50_000, seat_amount=0, included_seats=-1, metrics=[
        {"metric": "api_calls", "unit_price": "0.0005", "free_units": 0, "charge_model": "volume",
         "tiers": [{"up_to": 10, "unit_price": "1"}, {"up_to": None, "unit_price": "0.5"}]},
        {"metric": "tokens", "unit_price": "0.01"},  # a metric the plan does not charge in USD
    ])
    loaded = list(Subscription.objects.select_related("plan", "plan_version").filter(pk__in=[s.pk for s in subs]))
    with CaptureQueriesContext(connection) as queries:
        many = plan_terms_for_many(loaded)
    assert len(queries) == 3
    assert set(many) == {s.pk for s in subs}
    for sub in loaded:
        assert many[sub.pk] == plan_terms_for(sub)
    assert many[subs[1].pk].charge_for("tokens") is not None
    # Without overrides, one version's charges are made once and shared; with them, a subscription's own.
    assert many[subs[4].pk].charges is many[subs[0].pk].charges
    assert many[subs[1].pk].charges is not many[subs[0].pk].charges
    assert plan_terms_for_many([]) == {}
