"""Invoice and credit-note PDFs: Django templates (templates/invoicing/) rendered by WeasyPrint.

What each document shows is decided in `invoicing.documents.context`; here it is only drawn.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from invoicing.documents.context import credit_note_context, invoice_context
from invoicing.models import CreditNote, Invoice


def _pdf(template: str, context: dict, lang: str) -> bytes:
    from weasyprint import HTML

    with translation.override(lang):
        html = render_to_string(template, context)
    # PDF/A-3b: the archival form that may carry the Factur-X XML (invoicing/einvoice/pdf.py adds it).
    return HTML(string=html, base_url=str(Path(settings.BASE_DIR) / "static")).write_pdf(pdf_variant="pdf/a-3b")


def invoice_pdf(invoice: Invoice) -> bytes:
    lang = invoice.language or "en"
    with translation.override(lang):
        context = invoice_context(invoice)
    return _pdf("invoicing/invoice.html", context, lang)


def credit_note_pdf(note: CreditNote) -> bytes:
    lang = note.language or "en"
    with translation.override(lang):
        context = credit_note_context(note)
    return _pdf("invoicing/credit_note.html", context, lang)


def etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]
