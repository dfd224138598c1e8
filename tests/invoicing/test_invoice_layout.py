"""The invoice's layout: a long invoice runs onto several pages, each with the table's header and "Page n
of m"; the PAID mark sits in the header, above the lines, never over them. Read back with pypdf."""

import io

import pytest
from pypdf import PdfReader

from invoicing.documents.render import invoice_pdf
from invoicing.services import invoice_finalize, invoice_mark_paid
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db


def pages_of(content: bytes) -> list:
    return PdfReader(io.BytesIO(content)).pages


def heights(page) -> dict[str, list[float]]:
    """Each piece of text on the page and how high on it (PDF points from the bottom) it is drawn."""
    found: dict[str, list[float]] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            # The text matrix in the current transformation: y = tm.y * cm.d + tm.x * cm.b + cm.f
            found.setdefault(text.strip(), []).append(tm[5] * cm[3] + tm[4] * cm[1] + cm[5])

    page.extract_text(visitor_text=visit)
    return found


def test_a_long_invoice_repeats_the_table_header_and_numbers_its_pages(make_account, operator):
    account = make_account("Long")
    profile(account, country="US")
    items = [(f"Consulting session {n}", 1, "100.00") for n in range(1, 91)]
    invoice = invoice_finalize(invoice=draft(account, *items))

    pages = pages_of(invoice_pdf(invoice))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {len(pages)}" in text
        if "Consulting session" in text:  # a page the lines run onto starts with their header again
            assert all(word in text for word in ("Description", "Quantity", "Unit price", "Amount")), number
        assert "Example SaaS" in text  # the issuer's legal line at the foot of every page
        assert invoice.number in text  # the pages after the first name the invoice at their top
    assert "Consulting session 90" in pages[-1].extract_text() or "Consulting session 90" in pages[-2].extract_text()


def test_the_paid_mark_stays_above_the_lines(make_account, operator):
    account = make_account("Stamped")
    profile(account, country="US")
    invoice = invoice_finalize(invoice=draft(account, ("Consulting", 2, "150.00")))
    invoice = invoice_mark_paid(invoice=invoice, reference="wire-1")

    found = heights(pages_of(invoice_pdf(invoice))[0])

    def height(start: str) -> float:  # a table row is drawn as one piece of text
        return next(y for text, ys in found.items() if text.startswith(start) for y in ys)

    stamp, buyer, table_header, first_line = (height("PAID"), height("Bill to"), height("Description"),
                                              height("Consulting"))
    # The mark is drawn in the header, above the buyer and the table: never across a line's figures.
    assert stamp > buyer > table_header > first_line
