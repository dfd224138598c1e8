"""The invoicing API reads bodies and query strings strictly (billing/api/strict.py): money in minor
units as JSON integers, prices as decimal strings, unknown or repeated query parameters refused."""

import pytest

from billing.api.strict import MONEY_INVALID, REPEATED_PARAMETER, UNKNOWN_PARAMETER

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['billing:read', 'billing:write'])}")
    return api_client


def fields_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


@pytest.mark.parametrize("query, fields", [
    ("stauts=open", {"stauts": [UNKNOWN_PARAMETER]}),
    ("status=open&status=paid", {"status": [REPEATED_PARAMETER]}),
    ("account_id=99999999999999999999", {"account_id": ["Must be at most 9223372036854775807."]}),
])
def test_a_list_filter_that_would_be_ignored_or_guessed_is_refused(operator, query, fields):
    assert fields_of(operator.get(f"/api/v1/invoices?{query}")) == fields


@pytest.mark.parametrize("body, field", [
    ({"reason": "refund", "amount": "10.00"}, "amount"),
    ({"reason": "refund", "lines": [{"line_id": 1, "amount": 12.5}]}, "lines.0.amount"),
])
def test_a_credit_note_amount_must_be_minor_units(operator, body, field):
    assert fields_of(operator.post("/api/v1/invoices/1/credit-notes", body, format="json")) == {field: [MONEY_INVALID]}


def test_a_one_off_line_refuses_a_float_price_and_a_discount_a_string_amount(operator):
    line = operator.post("/api/v1/invoices/1/lines", {"description": "Setup", "unit_price": 0.1}, format="json")
    assert list(fields_of(line)) == ["unit_price"]
    discount = operator.post("/api/v1/invoices/1/discounts", {"description": "Goodwill", "amount_off": "5.00"},
                             format="json")
    assert fields_of(discount) == {"amount_off": [MONEY_INVALID]}


def test_a_filter_the_credit_note_list_does_not_have_is_refused_not_ignored(operator):
    response = operator.get("/api/v1/credit-notes?invoice_id=7&limit=10")
    assert fields_of(response) == {"invoice_id": [UNKNOWN_PARAMETER]}
    assert operator.get("/api/v1/credit-notes?limit=10").status_code == 200
