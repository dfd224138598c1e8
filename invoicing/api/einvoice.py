"""E-invoices over the API: the UBL 2.1 (EN 16931) of a finalized invoice or a credit note. The
Factur-X one is inside the PDF (`/pdf`). Account keys see their own account's; a draft has none."""

from __future__ import annotations

import io
import zipfile

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema

from billing.api.strict import expect_no_parameters
from billing.api.views import ApiView
from billing.models import ApiKey
from invoicing import selectors
from invoicing.einvoice import einvoice_document, ubl_xml
from invoicing.models import InvoiceStatus

XML = "application/xml"


def account_scope(request) -> int | None:
    """The account an account key is limited to; None for an operator key (every account)."""
    key = request.auth
    return None if isinstance(key, ApiKey) and key.is_operator else key.account_id


def xml_response(xml: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(xml, content_type=f"{XML}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


def ubl_download(documents) -> HttpResponse:
    """The UBL of finalized invoices or credit notes: one XML for one, a zip of them for several (the
    admin's action and the console's link)."""
    files = {f"{d.number}.xml": ubl_xml(einvoice_document(d)) for d in documents}
    if len(files) == 1:
        (name, xml), = files.items()
        return xml_response(xml, name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in files.items():
            archive.writestr(name, xml)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="e-invoices-ubl.zip"'
    return response


class InvoiceUblView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Download an invoice as UBL 2.1 (EN 16931, Peppol BIS Billing 3.0)",
                   responses={(200, XML): OpenApiTypes.STR})
    def get(self, request, invoice_id: int):
        """The finalized invoice as a UBL 2.1 Invoice following EN 16931; a draft has none (404). The same
        invoice as Factur-X (CII inside a PDF/A-3) is its PDF."""
        expect_no_parameters(request)
        invoice = selectors.invoice_with_lines(invoice_id=invoice_id, account_id=account_scope(request))
        if invoice is None or invoice.status == InvoiceStatus.DRAFT:
            raise Http404
        return xml_response(ubl_xml(einvoice_document(invoice)), f"{invoice.number}.xml")


class CreditNoteUblView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Download a credit note as UBL 2.1 (EN 16931, Peppol BIS Billing 3.0)",
                   responses={(200, XML): OpenApiTypes.STR})
    def get(self, request, credit_note_id: int):
        """The credit note as a UBL 2.1 CreditNote following EN 16931, referring to its invoice."""
        expect_no_parameters(request)
        note = selectors.credit_note_with_lines(credit_note_id=credit_note_id, account_id=account_scope(request))
        if note is None:
            raise Http404
        return xml_response(ubl_xml(einvoice_document(note)), f"{note.number}.xml")
