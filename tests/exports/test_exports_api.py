"""GET /api/v1/exports/<kind>: operator keys only, a streamed CSV, and a 400 naming the wrong parameter."""

import csv
import io

import pytest

from exports.streaming import KINDS
from exports.tables import TABLES

pytestmark = pytest.mark.django_db


def get(api_client, key, path):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api_client.get(path)


def table(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_invoices_export_gives_minor_and_major_units_beside_the_currency(book, api_client, api_key_for):
    response = get(api_client, api_key_for(None), f"/api/v1/exports/invoices?from={book.start}&to={book.end}")
    assert response.status_code == 200
    (row,) = table(response)
    assert (row["number"], row["currency"], row["total_minor"], row["total"]) == (
        book.invoice.number, "EUR", "18000", "180.00")
    assert (row["credit_applied_minor"], row["amount_paid"], row["amount_due"]) == ("1000", "170.00", "0.00")
    assert row["issue_date"] == book.invoice.issue_date.isoformat()
    assert row["account_external_id"] == "dupont"


@pytest.mark.parametrize(("kind", "count"), [("invoices", 1), ("invoice_lines", 2), ("payments", 0), ("receipts", 1),
                                             ("refunds", 0),
                                             ("credit_notes", 1), ("credit_grants", 2)])
def test_each_table_has_its_header_and_the_month_rows(book, api_client, api_key_for, kind, count):
    response = get(api_client, api_key_for(None), f"/api/v1/exports/{kind}?from={book.start}&to={book.end}")
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header == TABLES[kind].header
    assert len(rows) == count  # the book has no gateway payment; its grants: the welcome credit, the credit note's


def test_the_credit_note_export(book, api_client, api_key_for):
    rows = table(get(api_client, api_key_for(None), f"/api/v1/exports/credit_notes?from={book.start}&to={book.end}"))
    assert [(r["number"], r["total_minor"], r["tax_total"], r["credit_method"]) for r in rows] == [
        (book.credit_note.number, "3000", "5.00", "balance")]


def test_money_received_out_of_band_is_a_receipt(book, api_client, api_key_for):
    rows = table(get(api_client, api_key_for(None), f"/api/v1/exports/receipts?from={book.start}&to={book.end}"))
    assert [(r["invoice_number"], r["source"], r["reference"], r["amount_minor"], r["amount"]) for r in rows] == [
        (book.invoice.number, "out_of_band", "VIR-1", "17000", "170.00")]


def test_the_journal_export_balances(book, api_client, api_key_for):
    rows = table(get(api_client, api_key_for(None), f"/api/v1/exports/journal?from={book.start}&to={book.end}"))
    assert sum(int(r["debit_minor"]) for r in rows) == sum(int(r["credit_minor"]) for r in rows) > 0


def test_a_day_outside_the_range_is_left_out(book, api_client, api_key_for):
    before = book.start.replace(year=book.start.year - 1)
    response = get(api_client, api_key_for(None), f"/api/v1/exports/invoices?from={before}&to={before}")
    assert table(response) == []


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-01-31&to=2026-01-01", "to"),
    ("from=2024-01-01&to=2026-01-01", "to"),
    ("from=yesterday&to=2026-01-01", "from"),
    ("to=2026-01-01", "from"),
    ("from=2026-01-01", "to"),
    ("from=2026-01-01&to=2026-01-02&currency=EUR", "currency"),
])
def test_a_wrong_range_is_a_400_naming_the_parameter(api_client, api_key_for, query, field):
    response = get(api_client, api_key_for(None), f"/api/v1/exports/invoices?{query}")
    assert response.status_code == 400
    assert field in str(response.json())


def test_an_unknown_kind_is_a_400_naming_kind(api_client, api_key_for):
    response = get(api_client, api_key_for(None), "/api/v1/exports/ledgers?from=2026-01-01&to=2026-01-02")
    assert response.status_code == 400 and "kind" in str(response.json())
    assert "journal" in KINDS


def test_an_account_key_cannot_export(make_account, api_client, api_key_for):
    key = api_key_for(make_account("Acme"))
    response = get(api_client, key, "/api/v1/exports/invoices?from=2026-01-01&to=2026-01-02")
    assert response.status_code == 403
