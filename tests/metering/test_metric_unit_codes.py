"""Each metric names its unit on e-invoices (BT-130) with a UN/ECE Recommendation 20 code: suggested from
its unit when the metric is made, changeable, and refused by name when it is not a code."""

import pytest

from metering.services import billable_metric_create, billable_metric_update

pytestmark = pytest.mark.django_db
URL = "/api/v1/billable-metrics"


def test_a_new_metric_gets_the_suggested_code_unless_one_is_given(operator):
    assert billable_metric_create(code="egress", name="Egress", unit="GB", aggregation="sum").unit_code == "E34"
    assert billable_metric_create(code="calls", name="Calls", unit="call").unit_code == "C62"
    given = billable_metric_create(code="gpu", name="GPU time", unit="GPU-hour", unit_code="HUR", aggregation="sum")
    assert given.unit_code == "HUR"
    assert billable_metric_update(metric=given, unit_code="MIN").unit_code == "MIN"


def test_the_api_shows_takes_and_checks_the_unit_code(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read', 'billing:write'])}")
    made = api_client.post(URL, {"code": "storage", "name": "Storage", "unit": "GB", "aggregation": "sum"},
                           format="json")
    assert made.status_code == 201 and made.json()["unit_code"] == "E34"
    changed = api_client.patch(f"{URL}/storage", {"unit_code": "4L"}, format="json")
    assert changed.status_code == 200 and changed.json()["unit_code"] == "4L"
    bad = api_client.patch(f"{URL}/storage", {"unit_code": "gigabyte"}, format="json")
    assert bad.status_code == 400 and "unit_code" in bad.json()["error"]["fields"]
    assert api_client.get(f"{URL}/storage").json()["unit_code"] == "4L"


def test_the_admin_suggests_the_code_when_it_is_left_blank():
    from billing.models import BillableMetric
    from billing.roles import FINANCE_ADMIN
    from billing.tenancy import operator_scope
    from tests.helpers import staff

    client = staff("units", FINANCE_ADMIN)
    form = {"code": "backup", "name": "Backup", "description": "", "unit": "GB", "unit_code": "",
            "aggregation": "sum", "field_name": "", "filters": "{}", "group_by": "[]", "is_active": "on"}
    assert client.post("/admin/billing/billablemetric/add/", form).status_code == 302
    bad = client.post("/admin/billing/billablemetric/add/", {**form, "code": "other", "unit_code": "gb"})
    assert bad.status_code == 200 and "Recommendation 20" in bad.content.decode()
    with operator_scope():
        assert dict(BillableMetric.objects.values_list("code", "unit_code")) == {"backup": "E34"}


def test_a_catalog_files_metrics_get_their_codes(operator):
    from billing.errors import ValidationFailed
    from billing.models import BillableMetric
    from billing.services.catalog_loader import catalog_load

    catalog_load(data={"metrics": [{"code": "transfer", "unit": "GB", "aggregation": "sum"},
                                   {"code": "calls", "unit": "call"},
                                   {"code": "compute", "unit": "vCPU", "unit_code": "HUR"}]})
    assert dict(BillableMetric.objects.values_list("code", "unit_code")) == {
        "transfer": "E34", "calls": "C62", "compute": "HUR"}
    with pytest.raises(ValidationFailed) as refused:
        catalog_load(data={"metrics": [{"code": "bad", "unit": "GB", "unit_code": "gigabyte"}]})
    assert "metrics[0].unit_code" in refused.value.fields
