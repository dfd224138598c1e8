"""GET /api/v1/analytics/mrr and /revenue-recognition: operator keys only, minor units, bad months named."""

import pytest

pytestmark = pytest.mark.django_db

MRR = "/api/v1/analytics/mrr"
RECOGNITION = "/api/v1/analytics/revenue-recognition"


@pytest.fixture
def operator_client(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, scopes=('billing:read',))}")
    return api_client


def test_mrr_per_month_with_its_movements_in_minor_units(book, operator_client):
    answer = operator_client.get(MRR, {"currency": "USD", "from": "2027-01", "to": "2027-12"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["currency"] == "USD"
    assert [m["month"] for m in body["months"]] == ["2027-01", "2027-02", "2027-03"]  # months with a snapshot
    february = body["months"][1]
    assert february == {"month": "2027-02", "as_of": "2027-02-28", "mrr": 75_500, "arr": 906_000, "new": 10_000,
                        "expansion": 15_000, "contraction": 15_000, "churned": 25_000, "reactivated": 0}
    assert body["months"][2]["reactivated"] == 20_000


def test_mrr_in_another_currency_is_its_own(book, operator_client):
    body = operator_client.get(MRR, {"currency": "eur", "from": "2027-02", "to": "2027-02"}).json()
    assert body["currency"] == "EUR"
    assert [(m["mrr"], m["arr"], m["new"]) for m in body["months"]] == [(16_000, 192_000, 8_000)]


@pytest.mark.parametrize("path", [MRR, RECOGNITION])
@pytest.mark.parametrize(("query", "field"), [
    ({"currency": "USD", "from": "2027-13", "to": "2027-12"}, "from"),
    ({"currency": "USD", "from": "January", "to": "2027-12"}, "from"),
    ({"currency": "USD", "from": "2027-01", "to": "9999-12"}, "to"),
    ({"currency": "USD", "from": "2027-01", "to": "2027-1"}, "to"),
    ({"currency": "USD", "from": "2027-06", "to": "2027-01"}, "to"),
    ({"currency": "USD", "from": "2000-01", "to": "2027-01"}, "to"),
    ({"currency": "US1", "from": "2027-01", "to": "2027-02"}, "currency"),
    ({"from": "2027-01", "to": "2027-02"}, "currency"),
    ({"currency": "USD", "to": "2027-02"}, "from"),
    ({"currency": "USD", "from": "2027-01", "to": "2027-02", "product": "x"}, "product"),
])
def test_bad_parameters_are_400_naming_the_field(operator_client, path, query, field):
    answer = operator_client.get(path, query)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["fields"]


@pytest.mark.parametrize("path", [MRR, RECOGNITION])
def test_only_operator_keys_may_read(api_client, api_key_for, make_account, path):
    query = {"currency": "USD", "from": "2027-01", "to": "2027-02"}
    assert api_client.get(path, query).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(make_account(), scopes=('billing:read',))}")
    assert api_client.get(path, query).status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, scopes=('usage:read',))}")
    assert api_client.get(path, query).status_code == 403


def test_revenue_recognition_lists_every_month_asked(ledger, operator_client):
    body = operator_client.get(RECOGNITION, {"currency": "USD", "from": "2026-12", "to": "2027-03"}).json()
    assert body["months"] == [
        {"month": "2026-12", "recognized": 0, "deferred": 0},
        {"month": "2027-01", "recognized": 19_822, "deferred": 111_068},
        {"month": "2027-02", "recognized": 8_915, "deferred": 100_603},
        {"month": "2027-03", "recognized": 10_192, "deferred": 90_411},
    ]
