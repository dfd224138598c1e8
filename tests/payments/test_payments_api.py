"""Payments and refunds over the API: account keys see their own; refunds are created by operator keys."""

import pytest

from billing import tenancy
from payments.services.charging import payment_collect

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(make_account, customer_card, open_invoice):
    def make(name):
        account = make_account(name)
        customer_card(account)
        invoice = open_invoice(account, "25.00")
        with tenancy.operator_scope():
            return account, payment_collect(invoice_id=invoice.pk)

    return make


def as_key(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client


def test_account_keys_list_and_read_only_their_payments(paid, api_client, api_key_for):
    mine, payment = paid("Mine")
    _, theirs = paid("Theirs")
    client = as_key(api_client, api_key_for(mine, ("billing:read",)))
    listed = client.get("/api/v1/payments").json()["results"]
    assert [(p["id"], p["status"], p["amount"]) for p in listed] == [(payment.pk, "succeeded", 2500)]
    assert client.get(f"/api/v1/payments/{payment.pk}").json()["invoice_id"] == payment.invoice_id
    assert client.get(f"/api/v1/payments/{theirs.pk}").status_code == 404
    assert client.get("/api/v1/payments?status=failed").json()["results"] == []


def test_operator_keys_refund_and_everyone_lists_their_refunds(paid, api_client, api_key_for):
    account, payment = paid("Acme")
    operator = as_key(api_client, api_key_for(None, ("billing:read", "billing:write")))
    created = operator.post("/api/v1/refunds", {"payment_id": payment.pk, "amount": 700, "reason": "Goodwill"},
                            format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["status"], created.json()["amount"]) == ("succeeded", 700)
    too_much = operator.post("/api/v1/refunds", {"payment_id": payment.pk, "amount": 5000}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()["error"]["fields"]
    assert operator.post("/api/v1/refunds", {"payment_id": 999999}, format="json").status_code == 404

    account_client = as_key(api_client, api_key_for(account, ("billing:read", "billing:write")))
    assert account_client.post("/api/v1/refunds", {"payment_id": payment.pk}, format="json").status_code == 403
    listed = account_client.get("/api/v1/refunds").json()["results"]
    assert [(r["payment_id"], r["amount"]) for r in listed] == [(payment.pk, 700)]
    assert account_client.get(f"/api/v1/payments/{payment.pk}").json()["status"] == "partially_refunded"
