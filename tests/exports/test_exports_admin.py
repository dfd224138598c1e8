"""Exports from the admin: the page /admin/exports/ and the list action, for finance admins and viewers."""

import csv
import io

import pytest

from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from tests.helpers import staff

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("group", [FINANCE_ADMIN, FINANCE_VIEWER])
def test_finance_staff_download_the_journal_from_the_exports_page(book, group):
    client = staff("fin", group)
    page = client.get("/admin/exports/")
    assert page.status_code == 200 and b'name="kind"' in page.content and b"csrfmiddlewaretoken" in page.content
    journal = rows(client.post("/admin/exports/", {"kind": "journal", "start": book.start, "end": book.end}))
    assert {r["document"] for r in journal} >= {book.invoice.number, book.credit_note.number}


def test_a_range_ending_before_it_starts_is_an_error_on_the_page(book):
    page = staff("fin", FINANCE_VIEWER).post("/admin/exports/", {"kind": "invoices", "start": book.end,
                                                                  "end": book.start})
    assert page.status_code == 200 and "Must be on or after" in page.content.decode()


def test_staff_outside_the_finance_groups_cannot_export(book):
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get("/admin/exports/").status_code == 403


def test_a_viewer_exports_the_selected_invoices_with_the_list_action(book):
    client = staff("fin", FINANCE_VIEWER)
    response = client.post("/admin/invoicing/invoice/", {"action": "export_invoices_csv",
                                                         "_selected_action": [book.invoice.pk]})
    (row,) = rows(response)
    assert (row["number"], row["total_minor"], row["total"]) == (book.invoice.number, "18000", "180.00")


def test_the_credit_notes_list_exports_too(book):
    response = staff("fin", FINANCE_ADMIN).post("/admin/invoicing/creditnote/", {
        "action": "export_credit_notes_csv", "_selected_action": [book.credit_note.pk]})
    assert [r["number"] for r in rows(response)] == [book.credit_note.number]
