"""A subscription's own charge override refuses a block or package size below 1 (the price is per block)."""

import pytest

from billing.errors import ValidationFailed
from billing.models import SubscriptionMetricOverride
from billing.services import subscription_create, subscription_overrides_set
from tests.billing.catalog_factories import metric, plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["block_size", "package_size"])
def test_a_zero_size_is_refused_naming_the_field(operator, make_account, name):
    metric("api_calls")
    sub = subscription_create(account=make_account(), plan=plan(code="pro"))
    with pytest.raises(ValidationFailed) as exc:
        subscription_overrides_set(subscription=sub, metrics=[{"metric": "api_calls", name: 0}])
    assert f"metrics[0].{name}" in exc.value.fields
    assert not SubscriptionMetricOverride.objects.exists()


def test_zero_free_units_and_a_size_of_one_are_fine(operator, make_account):
    metric("api_calls")
    sub = subscription_create(account=make_account(), plan=plan(code="pro"))
    subscription_overrides_set(subscription=sub, metrics=[{"metric": "api_calls", "free_units": 0, "block_size": 1,
                                                           "package_size": 1}])
    assert SubscriptionMetricOverride.objects.get().block_size == 1
