"""Tax rates over the API (operator keys): create, list, retrieve, update, archive, audited;
a rate on a finalized invoice keeps its percentage (409), and a new rate replaces it in one step."""

from decimal import Decimal

import pytest

from billing import tenancy
from billing.models import AuditEntry
from invoicing.models import TaxRate
from invoicing.services import invoice_finalize
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db
URL = "/api/v1/tax-rates"
TVA = {"name": "TVA 20 %", "country": "fr", "percentage": "20", "description": "Taux normal"}


@pytest.fixture
def operator_client(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read', 'billing:write'])}")
    return api_client


@pytest.fixture
def invoiced_rate(operator_client, make_account, settings):
    """A FR rate made over the API and carried by a finalized invoice."""
    settings.INVOICING = {"OPERATOR_COUNTRY": "FR"}
    rate_id = operator_client.post(URL, TVA, format="json").json()["id"]
    account = make_account("Lyon SARL")
    with tenancy.operator_scope():
        profile(account, country="FR")
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00"), currency="EUR"))
        assert invoice.lines.get().tax_rate_id == rate_id
    return rate_id


def test_an_operator_key_creates_lists_reads_updates_and_archives_a_rate_with_audit(operator_client):
    created = operator_client.post(URL, TVA, format="json")
    assert created.status_code == 201, created.json()
    rate_id = created.json()["id"]
    assert created.json() | {"created_at": ""} == {
        "id": rate_id, "name": "TVA 20 %", "country": "FR", "region": "", "percentage": "20.0000",
        "inclusive": False, "is_active": True, "description": "Taux normal", "created_at": ""}
    assert operator_client.get(f"{URL}/{rate_id}").json()["country"] == "FR"
    assert [r["id"] for r in operator_client.get(f"{URL}?country=fr").json()["results"]] == [rate_id]
    assert operator_client.get(f"{URL}?country=DE").json()["results"] == []
    updated = operator_client.patch(f"{URL}/{rate_id}", {"percentage": "19.6", "name": "TVA 19,6 %"}, format="json")
    assert updated.status_code == 200 and updated.json()["percentage"] == "19.6000"
    archived = operator_client.delete(f"{URL}/{rate_id}")
    assert archived.status_code == 200 and archived.json()["is_active"] is False
    assert operator_client.get(f"{URL}?is_active=true").json()["results"] == []
    assert operator_client.get(f"{URL}/999999").status_code == 404
    with tenancy.operator_scope():
        assert TaxRate.objects.filter(pk=rate_id).exists()  # archived, not deleted
        actions = list(AuditEntry.objects.filter(object_type="invoicing.taxrate", object_id=str(rate_id))
                       .order_by("id").values_list("action", "actor_type"))
    assert actions == [("tax_rate.created", "api_key"), ("tax_rate.updated", "api_key"),
                       ("tax_rate.archived", "api_key")]


def test_account_keys_and_keys_without_the_scope_are_refused(make_account, api_key_for, api_client):
    account_key = api_key_for(make_account(), scopes=["billing:read", "billing:write"])
    assert api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {account_key}").status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read'])}")
    assert api_client.get(URL).status_code == 200
    refused = api_client.post(URL, TVA, format="json")
    assert refused.status_code == 403 and "billing:write" in refused.json()["error"]["message"]
    with tenancy.operator_scope():
        assert not TaxRate.objects.exists()


def test_the_percentage_of_a_rate_on_a_finalized_invoice_never_changes(operator_client, invoiced_rate):
    refused = operator_client.patch(f"{URL}/{invoiced_rate}", {"percentage": "21"}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "percentage" in error["fields"] and "create a new rate" in error["message"]
    assert operator_client.patch(f"{URL}/{invoiced_rate}", {"inclusive": True}, format="json").status_code == 409
    renamed = operator_client.patch(f"{URL}/{invoiced_rate}", {"name": "TVA (taux normal)"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["percentage"] == "20.0000"
    with tenancy.operator_scope():
        assert TaxRate.objects.get(pk=invoiced_rate).percentage == Decimal(20)


def test_a_new_rate_replaces_the_active_one_of_its_place_in_one_step(operator_client, invoiced_rate):
    second = operator_client.post(URL, {**TVA, "percentage": "21"}, format="json")
    assert second.status_code == 409
    assert str(invoiced_rate) in second.json()["error"]["message"]
    replacing = operator_client.post(URL, {**TVA, "percentage": "21", "replaces": invoiced_rate}, format="json")
    assert replacing.status_code == 201, replacing.json()
    with tenancy.operator_scope():
        assert list(TaxRate.objects.filter(country="FR").order_by("id").values_list("percentage", "is_active")) == [
            (Decimal(20), False), (Decimal(21), True)]
    restored = operator_client.patch(f"{URL}/{invoiced_rate}", {"is_active": True}, format="json")
    assert restored.status_code == 409  # the place has its active rate


def test_bad_fields_are_named_and_nothing_is_created(operator_client):
    response = operator_client.post(URL, {"name": "", "country": "France", "percentage": "101"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "country", "percentage"}
    for percentage in ("abc", "-1", "12.34567", "NaN"):
        bad = operator_client.post(URL, {**TVA, "percentage": percentage}, format="json")
        assert bad.status_code == 400 and "percentage" in bad.json()["error"]["fields"], percentage
    missing = operator_client.post(URL, {**TVA, "replaces": 2**63 - 1}, format="json")
    assert missing.status_code == 400 and "replaces" in missing.json()["error"]["fields"]
    assert operator_client.post(URL, {**TVA, "replaces": 2**64}, format="json").status_code == 400
    with tenancy.operator_scope():
        assert not TaxRate.objects.exists()


def test_a_rates_place_never_changes(operator_client):
    rate_id = operator_client.post(URL, TVA, format="json").json()["id"]
    moved = operator_client.patch(f"{URL}/{rate_id}", {"country": "DE", "region": "BY"}, format="json")
    assert moved.status_code == 400
    assert set(moved.json()["error"]["fields"]) == {"country", "region"}
    assert operator_client.patch(f"{URL}/{rate_id}", {"country": "fr"}, format="json").status_code == 200
