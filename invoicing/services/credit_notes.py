"""Credit notes against a finalized invoice: full or partial, by line or by amount, with a reason.

The credit reduces what is still due (open invoices), goes to the customer's
balance, or is refunded by the payments app (which reacts to
`billing.credit_note.issued` with `credit_method: "refund"`). Own gap-free series.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from billing.audit import audit_record
from billing.errors import ValidationFailed
from billing.outbox import event_record
from billing.transitions import row_lock, transition
from invoicing import conf
from invoicing.credits import credit_add
from invoicing.models import (
    CreditMethod,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.services.common import WITH_ACCOUNT, payload, require, state, today
from invoicing.services.numbering import number_take
from invoicing.services.transitions import INVOICE_PAID, TRANSITIONS
from invoicing.taxes import line_tax
from pricing import allocate

CREDIT_NOTE_ISSUED = "billing.credit_note.issued"


def _gross(net: int, tax: int, inclusive: bool) -> int:
    return net if inclusive else net + tax


def _credited_by_line(invoice) -> dict[int, int]:
    rows = (CreditNoteLine.objects.filter(credit_note__invoice=invoice, credit_note__status=CreditNoteStatus.ISSUED)
            .values("invoice_line_id").annotate(net=Sum("amount")))
    return defaultdict(int, {r["invoice_line_id"]: r["net"] for r in rows})


def _line_from_net(line: InvoiceLine, net: int) -> CreditNoteLine:
    tax = line_tax(net, Decimal(line.tax_percentage), line.tax_inclusive)
    return CreditNoteLine(account_id=line.account_id, invoice_line=line, description=line.description, amount=net,
                          tax_name=line.tax_name, tax_percentage=line.tax_percentage,
                          tax_inclusive=line.tax_inclusive, tax_amount=tax)


def _line_from_gross(line: InvoiceLine, gross: int) -> CreditNoteLine:
    pct = Decimal(line.tax_percentage)
    tax = line_tax(gross, pct, True)  # the tax contained in a gross amount
    net = gross if line.tax_inclusive else gross - tax
    return CreditNoteLine(account_id=line.account_id, invoice_line=line, description=line.description, amount=net,
                          tax_name=line.tax_name, tax_percentage=line.tax_percentage,
                          tax_inclusive=line.tax_inclusive, tax_amount=tax)


@transaction.atomic
def credit_note_create(*, invoice, reason: str, lines: list[dict] | None = None, amount: int | None = None,
                       credit_method: str | None = None) -> CreditNote:
    """`lines`: [{"line_id": id, "amount": net minor units (omit for the whole line)}]; or `amount`:
    a gross amount (tax included) spread over the lines in proportion to what is left on each."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    require(invoice, InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.DISPUTED,
            action="credit")
    errors: dict = {}
    if not (reason or "").strip():
        errors["reason"] = "This field is required."
    if (lines is None) == (amount is None):
        errors["lines"] = "Give either lines or an amount."
    if errors:
        raise ValidationFailed(errors)
    invoice_lines = {line.pk: line for line in invoice.lines.all()}
    credited = _credited_by_line(invoice)
    left = {pk: line.amount - line.discount_amount - credited[pk] for pk, line in invoice_lines.items()}
    note_lines: list[CreditNoteLine] = []
    if lines is not None:
        if not lines:
            raise ValidationFailed({"lines": "Give at least one line."})
        for index, item in enumerate(lines):
            line = invoice_lines.get(item.get("line_id"))
            if line is None:
                errors[f"lines.{index}.line_id"] = "No such line on this invoice."
                continue
            net = item.get("amount", left[line.pk])
            if not isinstance(net, int) or net <= 0 or net > left[line.pk]:
                errors[f"lines.{index}.amount"] = f"Must be a whole number between 1 and {left[line.pk]}."
                continue
            left[line.pk] -= net
            note_lines.append(_line_from_net(line, net))
    else:
        remaining = {pk: _gross(n, line_tax(n, Decimal(invoice_lines[pk].tax_percentage),
                                            invoice_lines[pk].tax_inclusive), invoice_lines[pk].tax_inclusive)
                     for pk, n in left.items()}
        pks = sorted(pk for pk, g in remaining.items() if g > 0)
        if not isinstance(amount, int) or amount <= 0 or amount > sum(remaining[pk] for pk in pks):
            raise ValidationFailed({"amount": f"Must be a whole number between 1 and "
                                              f"{sum(remaining[pk] for pk in pks)}."})
        for pk, share in zip(pks, allocate([remaining[pk] for pk in pks], amount), strict=True):
            if share:
                note_lines.append(_line_from_gross(invoice_lines[pk], share))
    if errors:
        raise ValidationFailed(errors)
    total = sum(_gross(n.amount, n.tax_amount, n.tax_inclusive) for n in note_lines)
    method = credit_method or (CreditMethod.BALANCE if invoice.status == InvoiceStatus.PAID
                               else CreditMethod.AMOUNT_DUE)
    if method not in CreditMethod.values:
        raise ValidationFailed({"credit_method": f"Must be one of {', '.join(CreditMethod.values)}."})
    if method == CreditMethod.AMOUNT_DUE and total > invoice.amount_due:
        raise ValidationFailed({"credit_method": f"Only {invoice.amount_due} is still due on this invoice; "
                                                 "credit the balance or refund the rest."})
    if method == CreditMethod.REFUND:
        refunded = (invoice.credit_notes.filter(status=CreditNoteStatus.ISSUED, credit_method=CreditMethod.REFUND)
                    .aggregate(t=Sum("total"))["t"] or 0)
        if total > invoice.amount_paid - refunded:
            raise ValidationFailed({"credit_method": "A refund cannot exceed what was paid on this invoice."})
    issued = today()
    series = conf.settings.CREDIT_NOTE_SERIES
    before = state(invoice)
    note = CreditNote.objects.create(
        account_id=invoice.account_id, invoice=invoice, series=series,
        number=number_take(series=series, year=issued.year), currency=invoice.currency, reason=reason.strip()[:300],
        credit_method=method, subtotal=sum(n.amount - (n.tax_amount if n.tax_inclusive else 0) for n in note_lines),
        tax_total=sum(n.tax_amount for n in note_lines), total=total, issue_date=issued, language=invoice.language,
        # The seller as it is on the day the note is issued; the buyer of the invoice it corrects.
        operator_snapshot=conf.operator(), customer_snapshot=invoice.customer_snapshot,
    )
    for n in note_lines:
        n.credit_note = note
    CreditNoteLine.objects.bulk_create(note_lines)
    pays_it = False
    if method == CreditMethod.AMOUNT_DUE:
        invoice.credited_total += total
        invoice.amount_due -= total
        # Credited down to nothing, an open invoice is paid (an uncollectible one stays uncollectible).
        pays_it = invoice.amount_due == 0 and invoice.status == InvoiceStatus.OPEN
        if not pays_it:
            invoice.save()
    elif method == CreditMethod.BALANCE:
        credit_add(account=invoice.account, currency=invoice.currency, amount=total,
                   reason=f"Credit note {note.number}", reference=f"invoicing.credit_note:{note.pk}")
    audit_record(action="credit_note.created", instance=note, after={
        "number": note.number, "invoice": invoice.number, "total": total, "credit_method": method,
        "reason": note.reason, "lines": [{"line": n.invoice_line_id, "amount": n.amount, "tax": n.tax_amount}
                                         for n in note_lines]})
    if method == CreditMethod.AMOUNT_DUE and not pays_it:
        audit_record(action="invoice.credited", instance=invoice, before=before, after=state(invoice))
    event_record(type=CREDIT_NOTE_ISSUED, account_id=invoice.account_id, payload={
        "credit_note_id": note.pk, "number": note.number, "invoice_id": invoice.pk, "invoice_number": invoice.number,
        "currency": note.currency, "total": total, "credit_method": method, "reason": note.reason})
    if pays_it:
        transition(invoice, InvoiceStatus.PAID, table=TRANSITIONS, verb="credit", action="invoice.credited",
                   before=before, changes={"paid_at": note.created_at}, event=INVOICE_PAID,
                   payload=lambda paid: payload(paid, paid_by_credit_note=note.number))
    from invoicing.tasks import credit_note_render_pdf

    transaction.on_commit(lambda: credit_note_render_pdf.delay(note.pk))
    return note
