"""The PDF customers download is the e-invoice: a PDF/A-3 carrying the EN 16931 CII XML as Factur-X."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from facturx import xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from billing import tenancy
from invoicing.einvoice import ATTACHMENT, cii_xml, einvoice_document
from invoicing.models import Invoice
from invoicing.services import credit_note_create, invoice_finalize, invoice_mark_paid
from invoicing.services.documents import credit_note_pdf_store, invoice_pdf_store
from tests.invoicing.einvoice.cases import CASES, billed, embedded_files, pdf_bytes, totals, xmp
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"


def xmp_values(pdf: bytes) -> dict[str, str]:
    tree = etree.fromstring(xmp(pdf))
    return {node.tag: (node.text or "").strip() for node in tree.iter(f"{RDF}Description")
            for node in node.iter() if node.tag.startswith((PDFAID, FX))}


def test_the_invoice_pdf_is_a_pdfa3_with_the_factur_x_xml(make_account, operator):
    invoice = billed(make_account("pdfa"), CASES["eur-french-buyer-vat-20"])
    pdf = pdf_bytes(invoice.pdf)
    declared = xmp_values(pdf)
    assert declared[f"{PDFAID}part"] == "3" and declared[f"{PDFAID}conformance"] == "B"
    assert declared[f"{FX}DocumentFileName"] == ATTACHMENT and declared[f"{FX}DocumentType"] == "INVOICE"
    assert declared[f"{FX}ConformanceLevel"] == "EN 16931"
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    spec = root["/AF"][0].get_object()
    assert spec["/F"] == ATTACHMENT and spec["/AFRelationship"] == "/Data"
    assert root["/OutputIntents"]  # PDF/A wants its colours defined: WeasyPrint's sRGB intent
    xml = embedded_files(pdf)[ATTACHMENT]
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")  # the Factur-X schema of the profile
    assert xml == cii_xml(einvoice_document(Invoice.objects.get(pk=invoice.pk)))


def test_a_payment_renders_the_e_invoice_again_with_nothing_left_due(make_account, operator):
    case = CASES["usd-us-buyer-no-tax"]
    invoice = billed(make_account("paid later"), case)
    assert totals(embedded_files(pdf_bytes(invoice.pdf))[ATTACHMENT], "cii")["due"] > 0
    invoice_mark_paid(invoice=invoice, reference="wire-1")
    invoice = invoice_pdf_store(invoice_id=invoice.pk)
    stated = totals(embedded_files(pdf_bytes(invoice.pdf))[ATTACHMENT], "cii")
    assert stated["due"] == 0 and stated["prepaid"] == stated["grand_total"]


def test_the_credit_note_pdf_carries_its_own_factur_x_xml(make_account, operator):
    invoice = billed(make_account("credited pdf"), CASES["eur-german-business-reverse-charge"])
    note = credit_note_pdf_store(credit_note_id=credit_note_create(invoice=invoice, reason="Outage",
                                                                   amount=1000).pk)
    pdf = pdf_bytes(note.pdf)
    assert xmp_values(pdf)[f"{PDFAID}part"] == "3"
    xml = embedded_files(pdf)[ATTACHMENT]
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml and note.number.encode() in xml


def test_metered_lines_carry_their_metrics_unit_and_the_rest_count_units(make_account, operator):
    invoice = billed(make_account("units"), CASES["jpy"])
    xml = etree.fromstring(embedded_files(pdf_bytes(invoice.pdf))[ATTACHMENT])
    units = {node.getparent().getparent().findtext(".//{*}Name"): node.get("unitCode")
             for node in xml.iter("{*}BilledQuantity")}
    assert units == {"Storage": "E34", "Onboarding": "C62"}


def test_building_the_document_reads_as_much_for_forty_lines_as_for_two(make_account):
    account = make_account("many lines")
    with tenancy.operator_scope():
        profile(account)
        few = invoice_finalize(invoice=draft(account, *[(f"Item {n}", 1, "1") for n in range(2)]))
        many = invoice_finalize(invoice=draft(account, *[(f"Item {n}", 1, "1") for n in range(40)]))

        def reads(invoice) -> int:
            fresh = Invoice.objects.select_related("account").get(pk=invoice.pk)
            with CaptureQueriesContext(connection) as queries:
                einvoice_document(fresh)
            return len(queries)

        assert reads(many) == reads(few) <= 3
