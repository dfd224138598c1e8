"""What the API used to take wrongly, now refused by name with nothing written (billing/api/strict.py)."""

from decimal import Decimal

import pytest

from billing import tenancy
from billing.api.strict import MONEY_INVALID, NUL_REFUSED, UNKNOWN_FIELD
from billing.models import Coupon, CreditEntry, Plan, PlanCharge, Subscription
from tests.billing.catalog_factories import metric, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_key(api_key_for):
    return api_key_for(None, scopes=("billing:read", "billing:write"))


@pytest.fixture
def post(api_client, operator_key):
    def send(path, body):
        return api_client.post(path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {operator_key}")

    return send


@pytest.fixture
def acme(make_account):
    return make_account("Acme")


@pytest.fixture
def basic(db):
    with tenancy.operator_scope():
        metric("impressions")
        return plan(code="basic", flat=3_000)


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def new_plan(**extra) -> dict:
    return {"code": "growth", "name": "Growth", "prices": {"USD": {"flat_amount": 9_900}}} | extra


def plans_named_growth() -> int:
    with tenancy.operator_scope():
        return Plan.objects.filter(code="growth").count()


@pytest.mark.parametrize("amount", ["99.00", "9900", 99.5, 9900.0, True])
def test_a_flat_amount_that_is_not_a_json_integer_is_refused_saying_the_unit(post, amount):
    response = post("/api/v1/plans", new_plan(prices={"USD": {"flat_amount": amount}}))
    assert fields_of(response) == {"prices.USD.flat_amount": [MONEY_INVALID]}
    assert plans_named_growth() == 0


@pytest.mark.parametrize("amount", ["400.00", 400.0, False])
def test_a_credit_grant_in_anything_but_minor_units_is_refused(post, acme, amount):
    response = post(f"/api/v1/accounts/{acme.pk}/credits", {"amount": amount, "currency": "USD", "reason": "goodwill"})
    assert fields_of(response) == {"amount": [MONEY_INVALID]}
    with tenancy.operator_scope():
        assert not CreditEntry.objects.filter(account=acme).exists()
    response = post(f"/api/v1/accounts/{acme.pk}/credits", {"amount": 40_000, "currency": "USD", "reason": "goodwill"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == 40_000


def test_a_misspelt_charge_field_is_refused_by_name_not_billed_per_unit(post, basic):
    charge = {"metric": "impressions", "currency": "USD", "unit_price": "0.50", "blocksize": 1000}
    response = post("/api/v1/plans", new_plan(charges=[charge]))
    assert fields_of(response) == {"charges.0.blocksize": [UNKNOWN_FIELD]}
    assert plans_named_growth() == 0


def test_a_misspelt_quantity_is_refused_not_replaced_by_the_default(post, acme, basic):
    response = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic", "quantityy": 3})
    assert fields_of(response) == {"quantityy": [UNKNOWN_FIELD]}
    with tenancy.operator_scope():
        assert not Subscription.objects.exists()


def test_unknown_fields_are_listed_with_the_other_errors(post):
    response = post("/api/v1/plans", new_plan(name=123, colour="red", prices={"USD": {"flat_amount": "1"}}))
    assert fields_of(response) == {"name": ["Must be a string."], "colour": [UNKNOWN_FIELD],
                                   "prices.USD.flat_amount": [MONEY_INVALID]}


@pytest.mark.parametrize("body, field", [
    ({"is_public": "false"}, "is_public"),
    ({"is_public": 0}, "is_public"),
    ({"trial_days": "14"}, "trial_days"),
    ({"sort_order": 2.0}, "sort_order"),
    ({"features": [1, 2]}, "features.0"),
])
def test_a_wrong_json_type_is_refused_not_converted(post, body, field):
    response = post("/api/v1/plans", new_plan(**body))
    assert field in fields_of(response)
    assert plans_named_growth() == 0


@pytest.mark.parametrize("path_and_body, field", [
    (("/api/v1/subscriptions", {"plan": "basic", "quantity": 2**31}), "quantity"),
    (("/api/v1/coupons", {"code": "big", "name": "Big", "amount_off": 100, "currency": "USD",
                          "max_redemptions": 2**31}), "max_redemptions"),
    (("/api/v1/coupons", {"code": "big", "name": "Big", "amount_off": 100, "currency": "USD",
                          "duration": "repeating", "duration_in_periods": 2**15}), "duration_in_periods"),
    (("/api/v1/accounts/{account}/credits", {"amount": 2**63, "currency": "USD", "reason": "x"}), "amount"),
    (("/api/v1/plans", new_plan(included_seats=2**31)), "included_seats"),
    (("/api/v1/plans", new_plan(limits=[{"metric": "impressions", "alert_thresholds": [2**15]}])),
     "limits.0.alert_thresholds.0"),
    (("/api/v1/plans", new_plan(limits=[{"metric": "impressions", "grace_percent": "ten"}])),
     "limits.0.grace_percent"),
    (("/api/v1/plans", new_plan(interval="year", interval_count=5_000)), "interval_count"),
])
def test_an_integer_past_its_column_is_a_field_error_not_a_server_error(post, acme, basic, path_and_body, field):
    path, body = path_and_body
    if path == "/api/v1/subscriptions":
        body = body | {"account_id": acme.pk}
    response = post(path.format(account=acme.pk), body)
    assert field in fields_of(response)
    with tenancy.operator_scope():
        assert not (Subscription.objects.exists() or Coupon.objects.exists() or CreditEntry.objects.exists()
                    or Plan.objects.filter(code="growth").exists())


def test_a_quantity_is_bounded_by_its_column_and_no_lower(post, acme, basic):
    too_many = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic", "quantity": 2**31})
    assert fields_of(too_many) == {"quantity": ["Must be at most 2147483647."]}
    response = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic", "quantity": 2**31 - 1})
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("metadata, field", [
    ({"note": "a\u0000b"}, "metadata.note"),
    ({"tags": ["ok", "b\u0000"]}, "metadata.tags.1"),
    ({"nested": {"k\u0000": 1}}, "metadata.nested.k\\u0000"),
])
def test_nul_inside_metadata_is_a_field_error_naming_its_path(api_client, acme, operator_key, metadata, field):
    response = api_client.patch(f"/api/v1/accounts/{acme.pk}/billing-profile", {"metadata": metadata},
                                format="json", HTTP_AUTHORIZATION=f"Bearer {operator_key}")
    assert fields_of(response) == {field: [NUL_REFUSED]}


def test_nul_in_a_subscriptions_metadata_writes_nothing(post, acme, basic):
    response = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic", "metadata": {"po": "\u0000"}})
    assert fields_of(response) == {"metadata.po": [NUL_REFUSED]}
    with tenancy.operator_scope():
        assert not Subscription.objects.exists()


def test_charges_limits_and_tiers_are_typed_in_the_openapi_schema(api_client):
    schemas = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "components"]["schemas"]
    charges = schemas["PlanCreateInputRequest"]["properties"]["charges"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schemas[charges]["properties"]) == {"metric", "currency", "model", "unit_price", "block_size",
                                                  "package_size", "free_units", "tiers"}
    assert schemas[charges]["additionalProperties"] is False
    tiers = schemas[charges]["properties"]["tiers"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schemas[tiers]["properties"]) == {"up_to", "unit_price", "flat_fee"}
    limits = schemas["PlanCreateInputRequest"]["properties"]["limits"]["items"]["$ref"].rsplit("/", 1)[1]
    assert "alert_thresholds" in schemas[limits]["properties"]


@pytest.mark.parametrize("tier, field", [
    ({"up_to": "1000", "unit_price": "0.01"}, "charges.0.tiers.0.up_to"),
    ({"up_to": None, "unit_price": 0.01}, "charges.0.tiers.0.unit_price"),
    ({"up_to": None, "unit_price": "0.01", "flat_fee": "5.00"}, "charges.0.tiers.0.flat_fee"),
    ({"up_to": None, "unit_price": "0.01", "upto": 5}, "charges.0.tiers.0.upto"),
])
def test_tiers_are_read_as_typed_fields(post, basic, tier, field):
    charge = {"metric": "impressions", "currency": "USD", "model": "graduated", "tiers": [tier]}
    assert field in fields_of(post("/api/v1/plans", new_plan(charges=[charge])))
    assert plans_named_growth() == 0


def test_a_package_charge_given_block_size_is_refused_not_billed_per_unit(post, basic):
    charge = {"metric": "impressions", "currency": "USD", "model": "package", "unit_price": "5.00", "block_size": 100}
    response = post("/api/v1/plans", new_plan(charges=[charge]))
    assert list(fields_of(response)) == ["charges.0.block_size"]
    assert plans_named_growth() == 0


def test_a_unit_price_is_a_decimal_string_kept_to_six_places(post, basic):
    charge = {"metric": "impressions", "currency": "USD", "unit_price": "0.000001"}
    assert post("/api/v1/plans", new_plan(charges=[charge])).status_code == 201
    with tenancy.operator_scope():
        assert PlanCharge.objects.get(version__plan__code="growth").unit_price == Decimal("0.000001")
    float_price = {**charge, "unit_price": 0.000001}
    assert "charges.0.unit_price" in fields_of(post("/api/v1/plans", new_plan(code="other", charges=[float_price])))


def test_a_date_time_without_an_offset_is_refused(post, acme, basic):
    response = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic", "start_at": "2026-03-01T00:00:00"})
    assert list(fields_of(response)) == ["start_at"]


def test_checks_made_past_the_serializer_name_list_items_the_same_dotted_way(post, basic):
    tiers = [{"up_to": 100, "unit_price": "0.02"}, {"up_to": 50, "unit_price": "0.01"},
             {"up_to": None, "unit_price": "0.005"}]
    charges = [{"metric": "impressions", "currency": "USD", "model": "graduated", "tiers": tiers},
               {"metric": "no_such_metric", "currency": "USD"}]
    response = post("/api/v1/plans", new_plan(charges=charges))
    assert list(fields_of(response)) == ["charges.0.tiers.1.up_to"]


def test_a_field_sent_to_an_endpoint_that_takes_none_is_refused_not_ignored(post, acme, basic):
    subscription = post("/api/v1/subscriptions", {"account_id": acme.pk, "plan": "basic"}).json()
    assert post(f"/api/v1/subscriptions/{subscription['id']}/pause", {}).status_code == 200
    response = post(f"/api/v1/subscriptions/{subscription['id']}/resume", {"resume_at": "2030-01-01T00:00:00Z"})
    assert fields_of(response) == {"resume_at": [UNKNOWN_FIELD]}
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=subscription["id"]).status == "paused"


def test_a_negative_unit_price_says_the_least_it_may_be(post, basic):
    charge = {"metric": "impressions", "currency": "USD", "unit_price": "-0.01"}
    assert fields_of(post("/api/v1/plans", new_plan(charges=[charge]))) == {"charges.0.unit_price": ["Must be at least 0."]}


def test_a_boolean_missing_from_a_query_string_is_missing_not_false():
    from django.http import QueryDict

    from billing.api.strict import StrictBooleanField, StrictQuery

    class Flags(StrictQuery):
        paid = StrictBooleanField(required=False)

    given, missing = Flags(data=QueryDict("paid=true")), Flags(data=QueryDict(""))
    assert given.is_valid() and given.validated_data == {"paid": True}
    assert missing.is_valid() and missing.validated_data == {}
