"""In the admin, tax rates are written through the services (audited), archived and never deleted;
an invoiced rate's percentage is read-only there, and a new rate replaces the old in one step."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import tenancy
from billing.models import AuditEntry
from billing.roles import FINANCE_ADMIN
from invoicing.models import TaxRate
from invoicing.services import invoice_finalize
from tests.helpers import staff
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced_rate(make_account, settings):
    settings.INVOICING = {"OPERATOR_COUNTRY": "FR"}
    account = make_account("Lyon SARL")
    with tenancy.operator_scope():
        rate = TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=Decimal(20))
        profile(account, country="FR")
        invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00"), currency="EUR"))
    return rate


@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_nobody_deletes_a_rate_and_archive_goes_through_the_service(invoiced_rate, who):
    if who == "finance":
        client = staff("fin", FINANCE_ADMIN)
    else:
        client = Client()
        client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    listing = client.get("/admin/invoicing/taxrate/").content.decode()
    assert 'value="delete_selected"' not in listing and 'value="archive"' in listing
    assert client.get(f"/admin/invoicing/taxrate/{invoiced_rate.pk}/delete/").status_code == 403
    client.post("/admin/invoicing/taxrate/", {"action": "archive", "_selected_action": [invoiced_rate.pk]})
    with tenancy.operator_scope():
        assert TaxRate.objects.get(pk=invoiced_rate.pk).is_active is False
        assert AuditEntry.objects.filter(action="tax_rate.archived", object_id=str(invoiced_rate.pk),
                                         actor_type="user").exists()


def test_an_invoiced_rates_percentage_is_read_only_and_a_new_rate_replaces_it(invoiced_rate):
    client = staff("fin", FINANCE_ADMIN)
    page = client.get(f"/admin/invoicing/taxrate/{invoiced_rate.pk}/change/").content.decode()
    assert 'name="percentage"' not in page and 'name="name"' in page
    new = {"name": "TVA 21 %", "country": "fr", "region": "", "percentage": "21", "is_active": "on",
           "description": ""}
    refused = client.post("/admin/invoicing/taxrate/add/", new)
    assert refused.status_code == 200  # the form again, its input kept, naming the active rate
    assert "TVA 20 %" in str(refused.context["adminform"].form.errors["replaces"])
    assert client.post("/admin/invoicing/taxrate/add/", {**new, "replaces": invoiced_rate.pk}).status_code == 302
    with tenancy.operator_scope():
        assert list(TaxRate.objects.order_by("id").values_list("percentage", "is_active")) == [
            (Decimal(20), False), (Decimal(21), True)]
        assert list(AuditEntry.objects.filter(object_type="invoicing.taxrate").order_by("id")
                    .values_list("action", "actor_type")) == [("tax_rate.archived", "user"),
                                                              ("tax_rate.created", "user")]
