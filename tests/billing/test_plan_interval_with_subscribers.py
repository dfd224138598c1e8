"""A plan's interval is part of its price (an amount per period): it cannot change under live subscribers."""

import pytest

from billing.errors import ValidationFailed
from billing.models import Plan
from billing.services import plan_update, subscription_cancel, subscription_create
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("change", [{"interval": "year"}, {"interval_count": 3}])
def test_the_interval_of_a_plan_with_live_subscribers_is_refused_naming_the_field(operator, make_account, change):
    monthly = plan(code="monthly", flat=1_000)
    subscription_create(account=make_account(), plan=monthly)
    with pytest.raises(ValidationFailed) as exc:
        plan_update(plan=monthly, **change)
    assert set(change) <= set(exc.value.fields)
    assert (Plan.objects.get(pk=monthly.pk).interval, Plan.objects.get(pk=monthly.pk).interval_count) == ("month", 1)


def test_other_attributes_and_an_interval_without_live_subscribers_still_change(operator, make_account):
    monthly = plan(code="monthly", flat=1_000)
    sub = subscription_create(account=make_account(), plan=monthly)
    plan_update(plan=monthly, name="Monthly plan", interval="month")  # the same interval is no change
    subscription_cancel(subscription=sub, at_period_end=False)
    assert plan_update(plan=monthly, interval="year").interval == "year"
