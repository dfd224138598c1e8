"""Customers see their invoices in the console: list, detail, PDF with ETag; never another account's."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import clock, tenancy
from billing.services import membership_add
from invoicing.services import invoice_finalize
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(make_account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    mine, theirs = make_account("Mine Ltd"), make_account("Theirs Ltd")
    user = get_user_model().objects.create_user("alice", password="x")
    with tenancy.operator_scope():
        membership_add(account=mine, user=user, role="owner")
        own = invoice_finalize(invoice=draft(mine, ("Plan", 1, "42")))
        hidden = draft(mine)
        other = invoice_finalize(invoice=draft(theirs))
    client = Client()
    client.force_login(user)
    return client, own, hidden, other


def test_the_list_shows_the_accounts_finalized_invoices(console):
    client, own, hidden, other = console
    page = client.get("/console/invoices/")
    assert page.status_code == 200
    content = page.content.decode()
    assert own.number in content and "$42.00" in content
    assert other.number not in content and f"/console/invoices/{hidden.pk}/" not in content


def test_detail_and_pdf_with_etag(console):
    client, own, hidden, other = console
    assert "Plan" in client.get(f"/console/invoices/{own.pk}/").content.decode()
    pdf = client.get(f"/console/invoices/{own.pk}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/console/invoices/{own.pk}/pdf", HTTP_IF_NONE_MATCH=pdf["ETag"]).status_code == 304
    assert client.get(f"/console/invoices/{other.pk}/").status_code == 404
    assert client.get(f"/console/invoices/{other.pk}/pdf").status_code == 404
    assert client.get(f"/console/invoices/{hidden.pk}/").status_code == 404


# The console's invoice pages on a whole account (tests/console_world.py): every role, filters,
# a detail that adds up, and no N+1.

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tests.console_world import page_text, signed_in, world  # noqa: E402, F401


@pytest.mark.parametrize("role", ["owner", "billing_manager", "viewer"])
def test_the_list_shows_number_date_period_status_and_totals_in_their_columns(world, role):  # noqa: F811
    response = signed_in(world.user(role)).get("/console/invoices/")
    assert response.status_code == 200
    html = response.content.decode()
    billed = re.search(rf"(?s)<tr><td[^>]*><a[^>]*>{world.billed.number}</a>.*?</tr>", html).group(0)
    assert '<span class="badge ok">Paid</span>' in billed
    assert 'data-label="Total">$53.00</td>' in billed and 'data-label="Amount due">$0.00</td>' in billed
    assert "November" in billed or " – " in billed  # the billed period
    overdue = re.search(rf"(?s)<tr><td[^>]*><a[^>]*>{world.open_invoice.number}</a>.*?</tr>", html).group(0)
    assert '<span class="badge bad">Overdue</span>' in overdue and 'data-label="Amount due">$250.00</td>' in overdue
    assert world.other_invoice.number not in html


def test_the_list_is_filtered_by_status_and_issue_dates(world):  # noqa: F811
    client = signed_in(world.owner)
    paid = page_text(client.get("/console/invoices/?status=paid"))
    assert world.billed.number in paid and world.open_invoice.number not in paid
    later = (world.billed.issue_date + timedelta(days=1)).isoformat()
    assert "No invoice matches these filters." in page_text(client.get(f"/console/invoices/?issued_from={later}"))
    today = world.billed.issue_date.isoformat()
    both = page_text(client.get(f"/console/invoices/?issued_from={today}&issued_to={today}"))
    assert world.billed.number in both and world.open_invoice.number in both


def test_a_wrong_filter_says_what_to_fix_and_keeps_what_was_typed(world):  # noqa: F811
    response = signed_in(world.owner).get("/console/invoices/?issued_from=2026-05-10&issued_to=2026-05-01")
    html = response.content.decode()
    assert "Give a day on or after the first one." in html
    assert 'value="2026-05-10"' in html and 'value="2026-05-01"' in html
    assert world.billed.number in html  # the list stays unfiltered meanwhile


def test_pages_keep_the_filters(world):  # noqa: F811
    from invoicing.models import CollectionMethod

    with tenancy.operator_scope():
        for i in range(21):
            invoice_finalize(invoice=draft(world.acme, (f"Item {i}", 1, "1.00"),
                                           collection_method=CollectionMethod.SEND_INVOICE))
    client = signed_in(world.owner)
    first = client.get("/console/invoices/?status=open").content.decode()
    assert "Page 1 of 2" in first and 'href="?status=open&amp;page=2"' in first
    second = page_text(client.get("/console/invoices/?status=open&page=2"))
    assert "Page 2 of 2" in second and world.billed.number not in second


def test_another_accounts_invoice_pdf_and_a_draft_answer_404(world):  # noqa: F811
    client = signed_in(world.owner)
    assert client.get(f"/console/invoices/{world.other_invoice.pk}/").status_code == 404
    assert client.get(f"/console/invoices/{world.other_invoice.pk}/pdf").status_code == 404
    with tenancy.operator_scope():
        hidden = draft(world.acme)
    assert client.get(f"/console/invoices/{hidden.pk}/").status_code == 404


def test_the_upcoming_invoice_line_by_line(world):  # noqa: F811
    text = page_text(signed_in(world.viewer).get("/console/invoices/upcoming/"))
    assert "Upcoming invoice An estimate of the invoice of" in text
    assert "Scale" in text and "800,000 tokens $0.02 per 1,000 tokens" in text and "Amount due $49.00" in text


def _count(client, url) -> int:
    # The clock pinned: an unpinned one re-reads its offset once a second, a query that comes and goes.
    with clock.frozen(clock.now()), CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pages_read_a_fixed_number_of_queries(world):  # noqa: F811
    from invoicing.models import CollectionMethod

    client = signed_in(world.owner)
    listed, detail = _count(client, "/console/invoices/"), _count(client, f"/console/invoices/{world.billed.pk}/")
    with tenancy.operator_scope():
        for i in range(5):
            invoice_finalize(invoice=draft(world.acme, *[(f"Item {i}.{j}", 1, "1.00") for j in range(4)],
                                           collection_method=CollectionMethod.SEND_INVOICE))
        many_lines = invoice_finalize(invoice=draft(world.acme, *[(f"Line {j}", 1, "2.00") for j in range(9)]))
    assert _count(client, "/console/invoices/") == listed
    assert _count(client, f"/console/invoices/{many_lines.pk}/") <= detail


def test_the_console_says_which_lines_are_billed_in_advance_and_which_in_arrears(world):  # noqa: F811
    # The same words as the PDF (invoicing.statement.line_view): the fee for the coming period, usage for the past.
    text = page_text(signed_in(world.viewer).get("/console/invoices/upcoming/"))
    assert "in advance" in text and "in arrears" in text
