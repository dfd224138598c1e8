"""Invoice and credit-note PDFs: Django templates (templates/invoicing/) rendered by WeasyPrint."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from billing import conf as billing_conf
from invoicing import conf
from invoicing.documents import formatting as fmt
from invoicing.models import CreditNote, Invoice, InvoiceStatus


def _logo_url() -> str:
    logo = billing_conf.settings.OPERATOR_LOGO
    if not logo:
        return ""
    path = billing_conf.logo_path(logo)
    return path.as_uri() if path.exists() else ""


def _lines(invoice: Invoice, lang: str) -> list[dict]:
    rows = []
    for line in invoice.lines.order_by("position", "id"):
        inputs = line.inputs or {}
        free = _dec(inputs.get("free_units") or "0")
        rows.append({
            "description": line.description,
            "period": fmt.period(line.period_start, line.period_end, lang),
            "quantity": fmt.quantity(line.quantity, lang),
            "unit_price": fmt.unit_price(line.unit_price, invoice.currency, lang),
            "proration": line.proration_factor != 1,
            "proration_factor": fmt.quantity(line.proration_factor, lang),
            "tiers": [{"label": _tier_label(t, lang), "quantity": fmt.quantity(_dec(t["quantity"]), lang),
                       "unit_price": fmt.unit_price(_dec(t["unit_price"]), invoice.currency, lang)}
                      for t in inputs.get("tiers", []) if _dec(t["quantity"])],
            "free_units": fmt.quantity(free, lang) if free else "",
            "amount": fmt.money(line.amount, invoice.currency, lang),
        })
    return rows


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _tier_label(tier: dict, lang: str) -> str:
    start = fmt.quantity(_dec(tier["from"]), lang)
    if tier.get("up_to") is None:
        return translation.gettext("above %(start)s") % {"start": start}
    return translation.gettext("%(start)s to %(end)s") % {"start": start, "end": fmt.quantity(_dec(tier["up_to"]), lang)}


def invoice_context(invoice: Invoice) -> dict:
    lang = invoice.language or "en"
    money = lambda minor: fmt.money(minor, invoice.currency, lang)  # noqa: E731
    return {
        "invoice": invoice,
        "lang": lang,
        "logo_url": _logo_url(),
        "operator": invoice.operator_snapshot or conf.operator(),
        "customer": invoice.customer_snapshot,
        "customer_address": _address_lines(invoice.customer_snapshot),
        "number": invoice.number or "",
        "issue_date": fmt.day(invoice.issue_date, lang),
        "due_date": fmt.day(invoice.due_date, lang),
        "period": fmt.period(invoice.period_start, invoice.period_end, lang),
        "lines": _lines(invoice, lang),
        "discounts": [{"description": d.description, "amount": money(d.amount)}
                      for d in invoice.discounts.order_by("position", "id") if d.amount],
        "taxes": [{"name": t["name"], "percentage": fmt.quantity(_dec(t["percentage"]), lang),
                   "inclusive": t["inclusive"], "taxable": money(t["taxable"]), "tax": money(t["tax"])}
                  for t in invoice.tax_breakdown],
        "subtotal": money(invoice.subtotal),
        "discount_total": money(invoice.discount_total),
        "tax_total": money(invoice.tax_total),
        "total": money(invoice.total),
        "credit_applied": money(invoice.credit_applied) if invoice.credit_applied else "",
        "credited_total": money(invoice.credited_total) if invoice.credited_total else "",
        "amount_paid": money(invoice.amount_paid) if invoice.amount_paid else "",
        "amount_due": money(invoice.amount_due),
        "is_paid": invoice.status == InvoiceStatus.PAID,
        "is_void": invoice.status == InvoiceStatus.VOID,
        "is_uncollectible": invoice.status == InvoiceStatus.UNCOLLECTIBLE,
        "tax_note": translation.gettext(invoice.tax_note) if invoice.tax_note else "",
        "net_terms_days": invoice.net_terms_days,
        "bank_transfer": invoice.collection_method == "send_invoice",
    }


def _address_lines(snapshot: dict) -> list[str]:
    city = " ".join(p for p in (snapshot.get("postal_code", ""), snapshot.get("city", "")) if p)
    return [p for p in (snapshot.get("address_line1"), snapshot.get("address_line2"), city,
                        snapshot.get("region"), snapshot.get("country")) if p]


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
    invoice = note.invoice
    money = lambda minor: fmt.money(minor, note.currency, lang)  # noqa: E731
    context = {
        "note": note, "invoice": invoice, "lang": lang, "logo_url": _logo_url(),
        "operator": invoice.operator_snapshot or conf.operator(), "customer": invoice.customer_snapshot,
        "customer_address": _address_lines(invoice.customer_snapshot),
        "issue_date": fmt.day(note.issue_date, lang),
        "lines": [{"description": n.description, "amount": money(n.amount), "tax_name": n.tax_name,
                   "tax": money(n.tax_amount)} for n in note.lines.all()],
        "subtotal": money(note.subtotal), "tax_total": money(note.tax_total), "total": money(note.total),
        "is_void": note.status == "void",
    }
    return _pdf("invoicing/credit_note.html", context, lang)


def etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]
