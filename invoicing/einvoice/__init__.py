"""E-invoices (EN 16931): one neutral document built from a finalized invoice or a credit note
(`build.py`), written as Factur-X CII inside the PDF (`cii.py`, `pdf.py`) and as UBL 2.1 (`ubl.py`).
docs/e-invoicing.md tells how they are produced and validated."""

from invoicing.einvoice.build import NotAnEInvoice, einvoice_document
from invoicing.einvoice.cii import cii_xml
from invoicing.einvoice.pdf import ATTACHMENT, facturx_pdf
from invoicing.einvoice.ubl import ubl_xml

__all__ = ["ATTACHMENT", "NotAnEInvoice", "cii_xml", "einvoice_document", "facturx_pdf", "ubl_xml"]
