"""What an invoice or a credit note PDF shows, in the reader's language: the parties as frozen
(`invoicing.legal`), the lines described by the console's own rule (`invoicing.statement.line_view`), the
tax summary by rate with the reason for every zero rate, and the totals from subtotal to amount due.

Money goes through `billing.display.Display` (each currency's own digits); call these inside
`translation.override(language)`.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import conf as billing_conf
from billing.display import Display
from invoicing.legal import Parties, credit_note_parties, invoice_parties, late_payment_terms
from invoicing.models import CollectionMethod, CreditNote, CreditNoteStatus, Invoice, InvoiceStatus
from invoicing.selectors import line_metrics
from invoicing.statement import IN_ADVANCE, USAGE_KINDS, line_view
from invoicing.taxes import EXEMPT, ZERO_RATED, is_eu

NO_TAX_NOTE = gettext_noop("No tax charged: no tax rate applies to the billing address.")
STAMPS = {InvoiceStatus.PAID: ("paid", gettext_noop("PAID")), InvoiceStatus.VOID: ("void", gettext_noop("VOID")),
          InvoiceStatus.UNCOLLECTIBLE: ("uncollectible", gettext_noop("UNCOLLECTIBLE"))}


def logo_url() -> str:
    logo = billing_conf.settings.OPERATOR_LOGO
    if not logo:
        return ""
    path = billing_conf.logo_path(logo)
    return path.as_uri() if path.exists() else ""


def css_string(text: str) -> str:
    """`text` as a CSS string literal (for the page margin boxes, which only take strings and counters)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter() -> str:
    """"Page n of m" as CSS content: the translated words around counter(page) and counter(pages)."""
    words = _("Page %(page)s of %(pages)s") % {"page": "\x00page\x00", "pages": "\x00pages\x00"}
    parts = []
    for i, part in enumerate(words.split("\x00")):
        if i % 2:
            parts.append(f"counter({part})")
        elif part:
            parts.append(css_string(part))
    return " ".join(parts)


def party_context(parties: Parties, language: str) -> dict:
    seller, buyer = parties.seller, parties.buyer
    buyer_in_eu = is_eu(buyer.country)
    return {
        "seller": seller, "seller_address": seller.printed_address(language),
        "buyer": buyer, "buyer_address": buyer.printed_address(language),
        "buyer_tax_label": _("VAT number") if buyer_in_eu else _("Tax ID"),
        # The one line at the foot of every page: who issued the document, as registered.
        "legal_footer": " · ".join(part for part in (
            seller.name, seller.legal_form, " ".join(seller.address_lines + (seller.postal_code, seller.city)).strip(),
            seller.registration_id, (_("VAT number") + " " + seller.vat_id) if seller.vat_id else "",
            parties.footer) if part),
        "page_counter": page_counter(),
        "logo_url": logo_url(),
        "lang": language,
    }


def tax_summary(breakdown: list[dict], note: str, taxable_when_none: int, currency: str, d: Display) -> list[dict]:
    """One row per rate: taxable base, rate, tax, and for a zero rate the reason it is zero. An invoice
    taxed at no rate at all still gets its row, saying so: an accountant never has to guess."""
    reason = _(note) if note else ""
    rows = []
    for entry in breakdown:
        percentage = Decimal(str(entry.get("percentage") or 0))
        zero = not percentage and entry.get("kind") in ZERO_RATED
        rows.append({
            "name": entry.get("name") or (_("Exempt") if entry.get("kind") == EXEMPT else _("Tax")),
            "rate": d.percent(percentage), "inclusive": entry.get("inclusive"),
            "taxable": d.money(int(entry.get("taxable") or 0), currency), "tax": d.money(int(entry.get("tax") or 0), currency),
            "reason": reason if zero else ""})
    if not rows:
        rows.append({"name": _("Tax"), "rate": d.percent(Decimal(0)), "inclusive": False,
                     "taxable": d.money(taxable_when_none, currency), "tax": d.money(0, currency),
                     "reason": reason or _(NO_TAX_NOTE)})
    return rows


def invoice_context(invoice: Invoice) -> dict:
    language = invoice.language or "en"
    d = Display(language)
    money = lambda minor: d.money(minor, invoice.currency)  # noqa: E731
    parties = invoice_parties(invoice)
    lines = list(invoice.lines.order_by("position", "id"))
    metrics = line_metrics(lines)
    kinds = {line.kind for line in lines if line.period_start}
    stamp = STAMPS.get(invoice.status)
    return {
        **party_context(parties, language),
        "invoice": invoice,
        "number": invoice.number or "",
        "running_title": css_string(f"{_('Invoice')} {invoice.number or _('Draft')}"),
        "issue_date": d.day(invoice.issue_date),
        "due_date": d.day(invoice.due_date),
        "period": d.period(invoice.period_start, invoice.period_end),
        # Why the header's period may differ from the lines': fees for the period ahead, usage for the one ended.
        "timing_note": (_("Fees are billed in advance for the period ahead; usage is billed in arrears for the "
                          "period that ended.") if kinds & set(IN_ADVANCE) and kinds & set(USAGE_KINDS) else ""),
        "lines": [line_view(line, metrics.get(line.metric_code), invoice.currency, d, taxed=True) for line in lines],
        "discounts": [{"description": discount.description or discount.code, "amount": money(discount.amount)}
                      for discount in invoice.discounts.order_by("position", "id") if discount.amount],
        "taxes": tax_summary(invoice.tax_breakdown or [], invoice.tax_note,
                             invoice.subtotal - invoice.discount_total, invoice.currency, d),
        "subtotal": money(invoice.subtotal),
        # Inclusive or exclusive, what is left of the total once its tax is taken out.
        "net_total": money(invoice.total - invoice.tax_total),
        "tax_total": money(invoice.tax_total),
        "total": money(invoice.total),
        "credit_applied": money(invoice.credit_applied) if invoice.credit_applied else "",
        "credited_total": money(invoice.credited_total) if invoice.credited_total else "",
        "amount_paid": money(invoice.amount_paid) if invoice.amount_paid else "",
        "amount_due": money(invoice.amount_due),
        "stamp": (stamp[0], _(stamp[1])) if stamp else None,
        "net_terms_days": invoice.net_terms_days,
        "bank_transfer": invoice.collection_method == CollectionMethod.SEND_INVOICE,
        "late_payment_terms": late_payment_terms(parties),
        "buyer_notes": (invoice.customer_snapshot or {}).get("invoice_notes", ""),
    }


def credit_note_context(note: CreditNote) -> dict:
    language = note.language or "en"
    d = Display(language)
    money = lambda minor: d.money(minor, note.currency)  # noqa: E731
    invoice = note.invoice
    note_lines = list(note.lines.select_related("invoice_line"))
    corrected = [line.invoice_line for line in note_lines if line.invoice_line is not None]
    metrics = line_metrics(corrected)
    by_rate: OrderedDict[tuple, dict] = OrderedDict()
    for line in note_lines:
        entry = by_rate.setdefault((line.tax_name, str(line.tax_percentage), line.tax_inclusive), {
            "name": line.tax_name, "percentage": str(line.tax_percentage), "inclusive": line.tax_inclusive,
            "kind": _kind_of(invoice, line.tax_percentage), "taxable": 0, "tax": 0})
        entry["taxable"] += line.amount - (line.tax_amount if line.tax_inclusive else 0)
        entry["tax"] += line.tax_amount
    taxed = any(entry["kind"] != "none" for entry in by_rate.values())
    return {
        **party_context(credit_note_parties(note), language),
        "note": note, "invoice": invoice, "running_title": css_string(f"{_('Credit note')} {note.number}"),
        "issue_date": d.day(note.issue_date),
        "invoice_date": d.day(invoice.issue_date),
        "lines": [{"description": _described(line, metrics, d), "amount": money(line.amount),
                   "tax": d.percent(Decimal(line.tax_percentage or 0)) if taxed else "",
                   "tax_amount": money(line.tax_amount)} for line in note_lines],
        "taxes": tax_summary([entry for entry in by_rate.values() if entry["kind"] != "none"], invoice.tax_note,
                             note.subtotal, note.currency, d),
        "subtotal": money(note.subtotal), "tax_total": money(note.tax_total), "total": money(note.total),
        "stamp": ("void", _("VOID")) if note.status == CreditNoteStatus.VOID else None,
    }


def _kind_of(invoice: Invoice, percentage) -> str:
    """A credit note line's tax kind: its invoice's (a credit note corrects at the invoice's own rates)."""
    kinds = {entry.get("kind") for entry in invoice.tax_breakdown or []}
    if Decimal(percentage or 0):
        return "rate"
    return next(iter(kinds & set(ZERO_RATED)), "none")


def _described(note_line, metrics: dict, d: Display) -> str:
    """A credit note names a line as the invoice it corrects does (the metric's name, not its code)."""
    line = note_line.invoice_line
    if line is None:
        return note_line.description
    return line_view(line, metrics.get(line.metric_code), note_line.credit_note.currency, d).description
