"""The invoices API: lists scoped to the key's account, detail with lines, PDF with ETag/304,
upcoming, and the operator's actions."""

import pytest

from billing import tenancy
from invoicing.services import invoice_finalize
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_account, api_key_for, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    mine, theirs = make_account("Mine"), make_account("Theirs")
    with tenancy.operator_scope():
        paid = invoice_finalize(invoice=draft(mine, ("Plan", 1, "10")))
        open_one = invoice_finalize(invoice=draft(mine, ("Plan", 1, "20")))
        drafted = draft(mine, ("Plan", 1, "30"))
        other = invoice_finalize(invoice=draft(theirs))
    from invoicing.services import invoice_mark_paid

    with tenancy.operator_scope():
        invoice_mark_paid(invoice=paid, reference="wire")
    return {"mine": mine, "paid": paid, "open": open_one, "draft": drafted, "other": other,
            "reader": api_key_for(mine, ["billing:read"]),
            "operator": api_key_for(None, ["billing:read", "billing:write"])}


def client_for(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client


def test_an_account_key_lists_only_its_invoices_with_filters(api_client, setup):
    client = client_for(api_client, setup["reader"])
    body = client.get("/api/v1/invoices").json()
    assert {row["id"] for row in body["results"]} == {setup["paid"].pk, setup["open"].pk, setup["draft"].pk}
    paid_only = client.get("/api/v1/invoices?status=paid").json()["results"]
    assert [row["id"] for row in paid_only] == [setup["paid"].pk]
    assert client.get(f"/api/v1/invoices/{setup['other'].pk}").status_code == 404
    bad = client.get("/api/v1/invoices?created_from=2026-02-01&created_to=2026-01-01")
    assert bad.status_code == 400 and "created_to" in bad.json()["error"]["fields"]


def test_detail_carries_lines_and_their_inputs(api_client, setup):
    body = client_for(api_client, setup["reader"]).get(f"/api/v1/invoices/{setup['open'].pk}").json()
    assert body["number"] == setup["open"].number and body["amount_due"] == 2000
    line, = body["lines"]
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("1.000000", "20.000000", 2000)
    assert body["pdf_url"] == f"/api/v1/invoices/{setup['open'].pk}/pdf"


def test_pdf_with_etag_and_304(api_client, setup):
    client = client_for(api_client, setup["reader"])
    response = client.get(f"/api/v1/invoices/{setup['open'].pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    etag = response["ETag"]
    again = client.get(f"/api/v1/invoices/{setup['open'].pk}/pdf", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"/api/v1/invoices/{setup['draft'].pk}/pdf").status_code == 404


def test_account_keys_cannot_act_on_invoices(api_client, setup):
    client = client_for(api_client, setup["reader"])
    assert client.post(f"/api/v1/invoices/{setup['draft'].pk}/finalize").status_code == 403


def test_operator_actions(api_client, setup):
    client = client_for(api_client, setup["operator"])
    draft_id = setup["draft"].pk
    added = client.post(f"/api/v1/invoices/{draft_id}/lines", {"description": "Setup", "unit_price": "5.5"},
                        format="json")
    assert added.status_code == 201 and added.json()["subtotal"] == 3550
    finalized = client.post(f"/api/v1/invoices/{draft_id}/finalize").json()
    assert finalized["status"] == "open" and finalized["number"]
    conflict = client.post(f"/api/v1/invoices/{draft_id}/finalize")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "invalid_state_transition"
    note = client.post(f"/api/v1/invoices/{draft_id}/credit-notes", {"reason": "Typo", "amount": 550},
                       format="json")
    assert note.status_code == 201 and note.json()["total"] == 550
    paid = client.post(f"/api/v1/invoices/{draft_id}/mark-paid", {"reference": "SEPA-1"}, format="json").json()
    assert (paid["status"], paid["payment_reference"]) == ("paid", "SEPA-1")
    void = client.post(f"/api/v1/invoices/{setup['open'].pk}/mark-uncollectible", {"reason": "gone"}, format="json")
    assert void.json()["status"] == "uncollectible"
    assert client.post(f"/api/v1/invoices/{setup['open'].pk}/void", {}, format="json").json()["status"] == "void"
    notes = client.get("/api/v1/credit-notes").json()["results"]
    assert notes[0]["number"].startswith("CN-")
    assert client.get(f"/api/v1/credit-notes/{notes[0]['id']}/pdf").content.startswith(b"%PDF")
    missing = client.post(f"/api/v1/invoices/{draft_id}/mark-paid", {}, format="json")
    assert missing.status_code == 400


def test_upcoming_for_a_subscription(api_client, setup):
    from tests.invoicing.factories import subscription

    with tenancy.operator_scope():
        sub = subscription(setup["mine"], code="api-upcoming", flat=4200)
    body = client_for(api_client, setup["reader"]).get(f"/api/v1/invoices/upcoming?subscription_id={sub.pk}").json()
    assert body["total"] == 4200 and body["lines"][0]["kind"] == "flat"
    missing = client_for(api_client, setup["reader"]).get("/api/v1/invoices/upcoming")
    assert missing.status_code == 400 and "subscription_id" in missing.json()["error"]["fields"]


def test_operator_edits_draft_lines_and_discounts(api_client, setup):
    client = client_for(api_client, setup["operator"])
    draft_id = setup["draft"].pk
    added = client.post(f"/api/v1/invoices/{draft_id}/lines", {"description": "Extra", "unit_price": "10"},
                        format="json").json()
    extra = next(line for line in added["lines"] if line["description"] == "Extra")
    discounted = client.post(f"/api/v1/invoices/{draft_id}/discounts", {"description": "Promo", "percent_off": "50"},
                             format="json")
    assert discounted.status_code == 201 and discounted.json()["discount_total"] == 2000
    discount_id = discounted.json()["discounts"][0]["id"]
    assert client.delete(f"/api/v1/invoices/{draft_id}/discounts/{discount_id}").json()["discount_total"] == 0
    assert client.delete(f"/api/v1/invoices/{draft_id}/lines/{extra['id']}").json()["subtotal"] == 3000
    both = client.post(f"/api/v1/invoices/{draft_id}/discounts", {"description": "x", "percent_off": "5",
                                                                  "amount_off": 100}, format="json")
    assert both.status_code == 400 and "percent_off" in both.json()["error"]["fields"]
