"""A subscription's charge override that makes the charge graduated or volume needs tiers, as a plan's
charge does: without them the upcoming invoice (and the bill run) could not price the subscription."""

import pytest

from billing.errors import ValidationFailed
from billing.models import SubscriptionMetricOverride
from billing.services import subscription_create, subscription_overrides_set
from tests.billing.catalog_factories import metric, plan

pytestmark = pytest.mark.django_db

TIERS = [{"up_to": 100, "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}]


@pytest.fixture
def subscription(operator, make_account):
    metric("api_calls")
    charge = {"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.01"}
    return subscription_create(account=make_account(), plan=plan(code="pro", charges=[charge]))


@pytest.mark.parametrize("override", [
    {"charge_model": "volume"},
    {"charge_model": "graduated", "tiers": []},
    {"charge_model": "volume", "tiers": [{"up_to": 100, "unit_price": "0.10"}]},
    {"metric": "other", "charge_model": "graduated", "unit_price": "0.01"},
])
def test_a_tiered_model_needs_open_ended_tiers_and_prices_with_them(subscription, override):
    from invoicing.upcoming import invoice_upcoming

    metric("other")
    with pytest.raises(ValidationFailed) as exc:
        subscription_overrides_set(subscription=subscription, metrics=[{"metric": "api_calls", **override}])
    assert exc.value.fields.keys() == {"metrics[0].tiers"}
    assert not SubscriptionMetricOverride.objects.exists()
    subscription_overrides_set(subscription=subscription,
                               metrics=[{"metric": "api_calls", **override, "tiers": TIERS}])
    assert invoice_upcoming(subscription=subscription).invoice.total >= 0
