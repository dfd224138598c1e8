"""Factur-X: the CII XML embedded in the invoice's PDF/A-3 as `factur-x.xml`, with the XMP metadata
that declares PDF/A-3 and the Factur-X extension schema. The `factur-x` library (Akretion's, the
reference implementation many ERPs use) writes the attachment, AFRelationship and XMP: PDF/A
metadata is easy to get subtly wrong by hand. WeasyPrint renders the PDF as PDF/A-3b to begin with
(fonts embedded, sRGB output intent), so only the attachment and the metadata are added here."""

from __future__ import annotations

from facturx import generate_from_binary

from invoicing.einvoice.model import Document

ATTACHMENT = "factur-x.xml"


def facturx_pdf(pdf: bytes, xml: bytes, doc: Document, *, lang: str = "en") -> bytes:
    kind = "Credit note" if doc.is_credit_note else "Invoice"
    metadata = {  # given, so the library need not read them back out of the XML
        "author": doc.seller.name,
        "keywords": f"Factur-X, {kind}",
        "title": f"{doc.seller.name}: {kind} {doc.number}",
        "subject": f"Factur-X {kind.lower()} {doc.number} dated {doc.issue_date.isoformat()} "
                   f"issued by {doc.seller.name}",
    }
    # The XML's shape is checked by the tests against the schema and the EN 16931 rules; checking it
    # again here for every PDF of a bill run would only cost time.
    return generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                pdf_metadata=metadata, lang=lang, afrelationship="data")
