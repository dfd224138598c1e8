"""A bad catalog file is refused with the place of the mistake named, and nothing of it is loaded."""

import io

import pytest
from django.core.management import CommandError, call_command

from billing.errors import ValidationFailed
from billing.models import Plan
from billing.services.catalog_loader import catalog_load

pytestmark = pytest.mark.django_db


def catalog(**plan):
    return {"currency": "USD", "metrics": [{"code": "api_calls", "aggregation": "count"}],
            "products": [{"code": "p"}], "plans": [{"code": "basic", "name": "Basic", "price": "9.00", **plan}]}


@pytest.mark.parametrize("plan, field", [
    ({"metrics": [{"included": 10}]}, "plans.basic.metrics[0].metric"),
    ({"product": "nope"}, "plans.basic.product"),
    ({"metrics": [{"metric": "api_calls", "included": 10, "overage": {"unit_price": "x"}}]},
     "plans.basic.charges[0].unit_price"),
])
def test_a_mistake_is_named(operator, plan, field):
    with pytest.raises(ValidationFailed) as exc:
        catalog_load(data=catalog(**plan))
    assert field in exc.value.fields
    assert not Plan.objects.exists()


def test_a_metric_without_a_code_is_named(operator):
    data = catalog()
    data["metrics"] = [{"name": "API calls"}]
    with pytest.raises(ValidationFailed) as exc:
        catalog_load(data=data)
    assert "metrics[0].code" in exc.value.fields


def test_a_file_that_does_not_parse_is_a_command_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("plans: [unclosed\n")
    with pytest.raises(CommandError, match="bad.yaml"):
        call_command("load_catalog", str(bad), stdout=io.StringIO())
