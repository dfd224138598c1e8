"""In the admin, billable metrics are archived, never deleted, and every write goes through the
services: no "Delete selected" action or delete page for anyone; "Archive" is refused (naming the
plans) while plans need the metric; what a metric measures changes only while it is unused."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from billing import tenancy
from billing.models import AuditEntry, BillableMetric
from billing.roles import FINANCE_ADMIN
from tests.billing.catalog_factories import plan
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def superuser() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def metered(make_metric, make_account, api_key_for):
    """A metric with raw usage events (not rolled up yet) and nothing else pointing at it."""
    metric = make_metric("api_calls")
    sent = APIClient().post("/api/v1/usage/events", {"metric": "api_calls", "idempotency_key": "k1"}, format="json",
                            HTTP_AUTHORIZATION=f"Bearer {api_key_for(make_account(), ['usage:write'])}")
    assert sent.json()["accepted"] == 1
    return metric


@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_nobody_deletes_a_metric_with_usage(metered, who):
    client = staff("fin", FINANCE_ADMIN) if who == "finance" else superuser()
    listing = client.get("/admin/billing/billablemetric/").content.decode()
    assert 'value="delete_selected"' not in listing and 'value="archive"' in listing
    assert client.get(f"/admin/billing/billablemetric/{metered.pk}/delete/").status_code == 403
    client.post("/admin/billing/billablemetric/", {"action": "delete_selected", "_selected_action": [metered.pk],
                                                     "post": "yes"})
    client.post(f"/admin/billing/billablemetric/{metered.pk}/delete/", {"post": "yes"})
    with tenancy.operator_scope():
        assert BillableMetric.objects.filter(pk=metered.pk).exists()


def test_archive_goes_through_the_service_and_is_refused_while_a_plan_needs_the_metric(make_metric):
    unused, needed = make_metric("exports"), make_metric("api_calls")
    with tenancy.operator_scope():
        plan(code="pro", limits=[{"metric": "api_calls", "included": 1000}])
    response = staff("fin", FINANCE_ADMIN).post("/admin/billing/billablemetric/", {
        "action": "archive", "_selected_action": [unused.pk, needed.pk]}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert "Archived 1 metric(s)." in messages
    assert any("api_calls" in m and "pro" in m for m in messages)
    with tenancy.operator_scope():
        assert dict(BillableMetric.objects.values_list("code", "is_active")) == {"exports": False, "api_calls": True}
        assert AuditEntry.objects.filter(action="billable_metric.archived", object_id=str(unused.pk),
                                         actor_type="user").exists()


def change_form(metric, **changes):
    data = {"name": metric.name, "description": "", "unit": metric.unit, "aggregation": metric.aggregation,
            "field_name": metric.field_name, "filters": "{}", "group_by": "[]", "is_active": "on"}
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def test_the_change_form_keeps_a_needed_metric_active_and_fixes_what_a_used_metric_measures(make_metric):
    needed = make_metric("api_calls")
    with tenancy.operator_scope():
        plan(code="pro", limits=[{"metric": "api_calls", "included": 1000}])
    client = staff("fin", FINANCE_ADMIN)
    added = client.post("/admin/billing/billablemetric/add/", {**change_form(needed, name="Exports"),
                                                                 "code": "exports"})
    assert added.status_code == 302
    with tenancy.operator_scope():
        fresh = BillableMetric.objects.get(code="exports")
    refused = client.post(f"/admin/billing/billablemetric/{needed.pk}/change/",
                          change_form(needed, is_active=None))
    assert refused.status_code == 200 and "pro" in str(refused.context["adminform"].form.errors["is_active"])
    assert b'name="aggregation"' not in client.get(f"/admin/billing/billablemetric/{needed.pk}/change/").content
    changed = client.post(f"/admin/billing/billablemetric/{fresh.pk}/change/",
                          change_form(fresh, aggregation="unique_count", field_name="user_id"))
    assert changed.status_code == 302
    with tenancy.operator_scope():
        assert BillableMetric.objects.get(pk=needed.pk).is_active
        assert BillableMetric.objects.get(pk=fresh.pk).aggregation == "unique_count"
        assert list(AuditEntry.objects.filter(object_id=str(fresh.pk), object_type="billing.billablemetric")
                    .order_by("id").values_list("action", flat=True)) == ["billable_metric.created",
                                                                          "billable_metric.updated"]
