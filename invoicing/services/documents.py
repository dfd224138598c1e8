"""Rendering and storing PDFs (Django storage). Safe to run twice: a PDF already showing the
invoice's current status is kept; a stale one is replaced."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from billing.transitions import row_lock
from invoicing.documents.render import credit_note_pdf, etag, invoice_pdf
from invoicing.einvoice import cii_xml, einvoice_document, facturx_pdf
from invoicing.models import CreditNote, Invoice, InvoiceStatus


def invoice_pdf_store(*, invoice_id: int, force: bool = False) -> Invoice | None:
    invoice = Invoice.objects.select_related("account").filter(pk=invoice_id).first()
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        return invoice
    if not force and invoice.pdf and invoice.pdf_status == invoice.status:
        return invoice
    content = with_einvoice(invoice, invoice_pdf(invoice))  # slow: rendered outside any lock
    with transaction.atomic():
        current = row_lock(Invoice, invoice_id)
        if current.status != invoice.status:
            # Changed while rendering: the task queued by that change renders it (or, for a reader
            # waiting on the PDF, this call renders again).
            return invoice_pdf_store(invoice_id=invoice_id, force=force) if force else current
        old_name = current.pdf.name if current.pdf else ""
        current.pdf.save(f"{current.number}-{current.status}.pdf", ContentFile(content), save=False)
        current.pdf_etag = etag(content)
        current.pdf_status = current.status
        current.save(update_fields=["pdf", "pdf_etag", "pdf_status", "updated_at"])
        if old_name and old_name != current.pdf.name:
            name, storage = old_name, current.pdf.storage
            transaction.on_commit(lambda: storage.delete(name))
    return current


def credit_note_pdf_store(*, credit_note_id: int, force: bool = False) -> CreditNote | None:
    note = CreditNote.objects.select_related("invoice").filter(pk=credit_note_id).first()
    if note is None or (note.pdf and not force):
        return note
    content = with_einvoice(note, credit_note_pdf(note))
    note.pdf.save(f"{note.number}.pdf", ContentFile(content), save=False)
    note.pdf_etag = etag(content)
    CreditNote.objects.filter(pk=note.pk).update(pdf=note.pdf.name, pdf_etag=note.pdf_etag)
    return note


def with_einvoice(document: Invoice | CreditNote, pdf: bytes) -> bytes:
    """The rendered PDF as a Factur-X e-invoice: the EN 16931 CII XML embedded (docs/e-invoicing.md)."""
    built = einvoice_document(document)
    return facturx_pdf(pdf, cii_xml(built), built, lang=document.language or "en")
