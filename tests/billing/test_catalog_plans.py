"""Plans: prices per currency, charges with six-decimal prices and tiers, validation naming the field."""

from decimal import Decimal

import pytest

from billing.errors import ValidationFailed
from billing.models import AuditEntry, Plan, PlanCharge
from billing.services import plan_create, plan_pricing_change, plan_update
from tests.billing.catalog_factories import metric, plan

pytestmark = pytest.mark.django_db


def charge(**overrides):
    return {"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.000001"} | overrides


@pytest.mark.parametrize("bad, field", [
    (charge(unit_price="0.0000001"), "charges[0].unit_price"),
    (charge(unit_price="-1"), "charges[0].unit_price"),
    (charge(model="graduated", tiers=[{"up_to": 10, "unit_price": "1"}]), "charges[0].tiers"),
    (charge(model="volume", tiers=[{"up_to": 10, "unit_price": "1"}, {"up_to": 5, "unit_price": "1"},
                                   {"up_to": None, "unit_price": "1"}]), "charges[0].tiers[1].up_to"),
    (charge(model="per_seat"), "charges[0].model"),
    (charge(metric="nope"), "charges[0].metric"),
    (charge(block_size=0), "charges[0].block_size"),
    (charge(currency="usd1"), "charges[0].currency"),
])
def test_bad_charges_are_refused_naming_the_field(operator, bad, field):
    metric("api_calls")
    with pytest.raises(ValidationFailed) as exc:
        plan(code="p", charges=[bad])
    assert field in exc.value.fields
    assert not Plan.objects.exists()


def test_bad_plan_attributes_name_their_field(operator):
    for kwargs, field in [({"interval": "fortnight"}, "interval"), ({"interval_count": 0}, "interval_count"),
                          ({"included_seats": -2}, "included_seats"), ({"colour": "red"}, "colour")]:
        with pytest.raises(ValidationFailed) as exc:
            plan(code="p", **kwargs)
        assert field in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        plan_create(code="p", name="P", prices={})
    assert "prices" in exc.value.fields


def test_a_plan_is_sold_in_several_currencies_with_six_decimal_unit_prices(operator):
    metric("api_calls")
    pro = plan_create(code="pro", name="Pro", prices={"USD": {"flat_amount": 9_900}, "EUR": {"flat_amount": 8_900},
                                                      "JPY": {"flat_amount": 1_500}},
                      charges=[charge(), charge(currency="EUR", unit_price="0.000009")], interval="month",
                      interval_count=3)
    version = pro.current_version
    assert {p.currency: p.flat_amount for p in version.prices.all()} == {"USD": 9_900, "EUR": 8_900, "JPY": 1_500}
    assert {c.currency: c.unit_price for c in PlanCharge.objects.filter(version=version)} == {
        "USD": Decimal("0.000001"), "EUR": Decimal("0.000009")}
    assert AuditEntry.objects.filter(action="plan.created", object_id=str(pro.pk)).exists()


def test_a_pricing_change_replaces_only_the_parts_given(operator):
    metric("api_calls")
    pro = plan(code="pro", flat=9_900, charges=[charge()], limits=[{"metric": "api_calls", "included": 10}])
    version = plan_pricing_change(plan=pro, prices={"USD": {"flat_amount": 10_900, "seat_amount": 100}})
    assert version.prices.get().flat_amount == 10_900
    assert version.charges.get().unit_price == Decimal("0.000001")
    assert version.limits.get().included == 10


def test_plan_update_leaves_prices_alone_and_is_audited(operator):
    pro = plan(code="pro", flat=9_900)
    plan_update(plan=pro, name="Professional", is_public=False, features=["Everything"])
    pro.refresh_from_db()
    assert (pro.name, pro.is_public, pro.features) == ("Professional", False, ["Everything"])
    assert pro.current_version.prices.get().flat_amount == 9_900
    assert AuditEntry.objects.filter(action="plan.updated").count() == 1
