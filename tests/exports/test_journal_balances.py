"""The accounting journal: double-entry lines per document on the mapped accounts, checked against the
hand-computed month of conftest.py; every document balances (debits = credits)."""

import csv
import io
from collections import defaultdict

import pytest

from billing import tenancy
from exports import journal

pytestmark = pytest.mark.django_db


def lines(book):
    with tenancy.operator_scope():
        return [dict(zip(journal.HEADER, map(str, row), strict=True)) for row in journal.rows(book.start, book.end)]


def short(rows):
    return sorted((r["document_type"], r["ledger_account"], r["ledger_role"], r["product"], r["tax_rate"],
                   int(r["debit_minor"]), int(r["credit_minor"])) for r in rows)


def test_the_invoice_its_payment_the_credit_note_and_the_grant_give_the_hand_computed_entries(book):
    assert book.invoice.total == 18000 and book.invoice.credit_applied == 1000  # the fixture is what it says
    expected = [
        ("credit_grant", "419100", "credit_balance", "", "", 0, 1000),
        ("credit_grant", "709000", "credit_grants", "", "", 1000, 0),
        ("credit_note", "419100", "credit_balance", "", "", 0, 3000),
        ("credit_note", "445710", "tax", "", "TVA 20 % 20%", 500, 0),
        ("credit_note", "706000", "revenue", "one_off", "", 2500, 0),
        ("invoice", "411000", "receivable", "", "", 0, 1000),
        ("invoice", "411000", "receivable", "", "", 18000, 0),
        ("invoice", "419100", "credit_balance", "", "", 1000, 0),
        ("invoice", "445710", "tax", "", "TVA 20 % 20%", 0, 3000),
        ("invoice", "706000", "revenue", "one_off", "", 0, 15000),
        ("payment", "411000", "receivable", "", "", 0, 17000),
        ("payment", "512000", "cash", "", "", 17000, 0),
    ]
    assert short(lines(book)) == sorted(expected)


def test_every_document_balances_and_the_receivable_is_settled(book):
    rows = lines(book)
    per_document = defaultdict(int)
    for row in rows:
        per_document[(row["document_type"], row["document"])] += int(row["debit_minor"]) - int(row["credit_minor"])
    assert per_document and all(total == 0 for total in per_document.values()), per_document
    receivable = sum(int(r["debit_minor"]) - int(r["credit_minor"]) for r in rows if r["ledger_role"] == "receivable")
    assert receivable == 0  # invoiced 180, credit 10, paid 170


def test_amounts_come_in_minor_and_major_units_with_the_document_currency(book):
    row = next(r for r in lines(book) if r["document_type"] == "invoice" and r["debit_minor"] == "18000")
    assert (row["debit"], row["credit"], row["currency"], row["document"]) == ("180.00", "0.00", "EUR",
                                                                               book.invoice.number)


def test_the_account_mapping_comes_from_settings(book, settings):
    settings.EXPORTS_ACCOUNTS = {"receivable": "4110001", "cash": "5121"}
    settings.EXPORTS_REVENUE_ACCOUNTS = {"one_off": "7061"}
    roles = {(r["ledger_role"], r["ledger_account"]) for r in lines(book)}
    assert {("receivable", "4110001"), ("cash", "5121"), ("revenue", "7061"), ("tax", "445710")} <= roles
    assert ("receivable", "411000") not in roles


def test_a_voided_invoice_is_reversed_on_its_void_date(make_account, settings, tmp_path):
    from invoicing.services import invoice_finalize, invoice_void
    from tests.invoicing.factories import draft

    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Voided")
    with tenancy.operator_scope():
        invoice = invoice_void(invoice=invoice_finalize(invoice=draft(account, ("Plan", 1, "40.00"))), reason="x")
    day = invoice.voided_at.date()
    with tenancy.operator_scope():
        rows = list(journal.rows(day, day))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    mine = [dict(zip(journal.HEADER, row, strict=True)) for row in rows if row[3] == invoice.number]
    kinds = sorted((r["document_type"], r["ledger_role"], r["debit_minor"], r["credit_minor"]) for r in mine)
    assert kinds == [("invoice", "receivable", 4000, 0), ("invoice", "revenue", 0, 4000),
                     ("invoice_void", "receivable", 0, 4000), ("invoice_void", "revenue", 4000, 0)]


def test_a_void_after_a_credit_note_reverses_only_what_was_left(make_account, settings, tmp_path):
    from invoicing.services import credit_note_create, invoice_finalize, invoice_void
    from tests.invoicing.factories import draft

    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Credited then voided")
    with tenancy.operator_scope():
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "40.00")))
        credit_note_create(invoice=invoice, reason="Outage", amount=1000)
        invoice = invoice_void(invoice=invoice, reason="Not owed")
        rows = [dict(zip(journal.HEADER, row, strict=True)) for row in journal.rows(invoice.voided_at.date(),
                                                                                     invoice.voided_at.date())
                if row[4] == account.pk]
    receivable = sum(r["debit_minor"] - r["credit_minor"] for r in rows if r["ledger_role"] == "receivable")
    revenue = sum(r["credit_minor"] - r["debit_minor"] for r in rows if r["ledger_role"] == "revenue")
    assert receivable == 0 and revenue == 0  # issued 40, credited 10, voided the 30 left
    void = [r for r in rows if r["document_type"] == "invoice_void"]
    assert sum(r["credit_minor"] for r in void if r["ledger_role"] == "receivable") == 3000
