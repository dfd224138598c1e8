"""In the admin, plans and plan versions are archived, never deleted: no "Delete selected" action,
no delete page, for finance staff and superusers alike; "Archive" goes through the service."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import tenancy
from billing.models import AuditEntry, Plan, PlanVersion
from billing.roles import FINANCE_ADMIN
from billing.services import subscription_create
from tests.billing.catalog_factories import plan
from tests.helpers import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed_plan(make_account):
    with tenancy.operator_scope():
        pro = plan(code="pro")
        subscription_create(account=make_account("Acme"), plan=pro)
    return pro


def superuser() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    return client


@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_nobody_deletes_plans_or_versions(subscribed_plan, who):
    client = staff("fin", FINANCE_ADMIN) if who == "finance" else superuser()
    listing = client.get("/admin/billing/plan/").content.decode()
    assert 'value="delete_selected"' not in listing and 'value="archive"' in listing
    change = client.get(f"/admin/billing/plan/{subscribed_plan.pk}/change/").content.decode()
    assert f"/admin/billing/plan/{subscribed_plan.pk}/delete/" not in change
    assert client.get(f"/admin/billing/plan/{subscribed_plan.pk}/delete/").status_code == 403
    version = subscribed_plan.current_version_id
    assert 'value="delete_selected"' not in client.get("/admin/billing/planversion/").content.decode()
    assert client.get(f"/admin/billing/planversion/{version}/delete/").status_code == 403
    with tenancy.operator_scope():
        unsold = plan(code="unsold")  # no subscriber, but its creation and versions are on record
    client.post("/admin/billing/plan/", {"action": "delete_selected", "_selected_action": [unsold.pk],
                                         "post": "yes"})
    client.post(f"/admin/billing/plan/{unsold.pk}/delete/", {"post": "yes"})
    with tenancy.operator_scope():
        assert Plan.objects.filter(pk__in=[subscribed_plan.pk, unsold.pk]).count() == 2
        assert PlanVersion.objects.filter(plan=unsold).exists()


def test_archive_takes_no_new_subscriptions_through_the_service(subscribed_plan):
    response = staff("fin", FINANCE_ADMIN).post("/admin/billing/plan/", {
        "action": "archive", "_selected_action": [subscribed_plan.pk]}, follow=True)
    assert "Archived 1 plan(s)." in [str(m) for m in response.context["messages"]]
    with tenancy.operator_scope():
        archived = Plan.objects.get(pk=subscribed_plan.pk)
        assert (archived.is_active, archived.is_public) == (False, False)
        entry = AuditEntry.objects.filter(action="plan.updated", object_id=str(archived.pk)).get()
    assert entry.actor_type == "user" and entry.after["is_active"] is False
