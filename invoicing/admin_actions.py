"""The money actions of the invoice admin: each shows the amounts and what will change, then acts
through the same service as the API (billing/admin/confirm.py has the confirmation step)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from billing.admin.confirm import MoneyAction, Preview
from billing.admin.money import MoneyActionForm, MoneyField, show_money, show_unit_price
from billing.errors import AmountTooLarge
from billing.selectors import credit_balance
from invoicing import services
from invoicing.adapters import one_off_line
from invoicing.models import CollectionMethod, CreditMethod, Invoice, InvoiceStatus
from invoicing.selectors import invoice_credit_left, invoice_refunded_by_credit_notes
from pricing import OneOff
from pricing.money import MAX_INVOICE_AMOUNT, round_to_minor, to_major

COLLECTABLE = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


def _m(invoice: Invoice, minor: int) -> str:
    return show_money(minor, invoice.currency)


def _currencies(invoices: list[Invoice]) -> dict:
    return {"currencies": [invoice.currency for invoice in invoices]}


def _summary(invoice: Invoice) -> str:
    return (f"{invoice} ({invoice.account}, {invoice.status}): total {_m(invoice, invoice.total)}, "
            f"paid {_m(invoice, invoice.amount_paid)}, due {_m(invoice, invoice.amount_due)}")


def _not_in(invoice: Invoice, allowed, doing: str) -> str:
    if invoice.status in allowed:
        return ""
    return f"Only {' or '.join(str(s) for s in allowed)} invoices can be {doing}; this one is {invoice.status}."


# --- finalize ---------------------------------------------------------------------------------------------------

class NothingToTypeForm(forms.Form):
    pass


def _finalize_preview(invoice: Invoice, data: dict) -> Preview:
    problem = _not_in(invoice, (InvoiceStatus.DRAFT,), "finalized")
    credit = credit_balance(account_id=invoice.account_id).get(invoice.currency, 0)
    collect = ("then charged to the payment method on file"
               if invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY
               else "then sent for payment by bank transfer")
    text = (f"Finalize {invoice} for {invoice.account}: subtotal {_m(invoice, invoice.subtotal)}, total "
            f"{_m(invoice, invoice.total)} before tax is set from the customer's details"
            + (f"; up to {_m(invoice, credit)} of the customer's credit balance applies" if credit else "")
            + f". It gets its number, can no longer be edited, and is {collect}.")
    return Preview(text, problem)


def _finalize(invoice: Invoice, data: dict) -> str:
    done = services.invoice_finalize(invoice=invoice)
    return (f"Finalized {done}: total {_m(done, done.total)}, amount due {_m(done, done.amount_due)} "
            f"({done.status}).")


finalize = MoneyAction(title="Finalize", form_class=NothingToTypeForm, describe=_finalize_preview,
                       apply=_finalize)


# --- mark paid, void, uncollectible -----------------------------------------------------------------------------

class ReferenceForm(forms.Form):
    reference = forms.CharField(max_length=200, help_text="The bank transfer or cheque reference.")


def _mark_paid_preview(invoice: Invoice, data: dict) -> Preview:
    problem = _not_in(invoice, COLLECTABLE, "marked paid")
    reference = data.get("reference") or "the reference below"
    text = (f"Mark {invoice} paid: records {_m(invoice, invoice.amount_due)} received outside the platform "
            f"({reference}); amount due {_m(invoice, invoice.amount_due)} → {_m(invoice, 0)}, "
            f"status {invoice.status} → paid.")
    return Preview(text, problem)


def _mark_paid(invoice: Invoice, data: dict) -> str:
    due = invoice.amount_due
    done = services.invoice_mark_paid(invoice=invoice, reference=data["reference"])
    return f"Marked {done} paid: {_m(done, due)} recorded (reference {data['reference']})."


class TransferForm(MoneyActionForm):
    amount = MoneyField(allow_zero=False, help_text=(
        "What arrived, in major units with the currency's digits (10.00, ¥1,000, 1.250): part of the amount "
        "due, all of it, or more."))
    reference = forms.CharField(max_length=200, help_text="The bank transfer or cheque reference.")


def _transfer_parts(invoice: Invoice, amount: int) -> tuple[list[tuple[Invoice, int]], int]:
    """Where `payment_allocate` will put `amount`: this invoice, then the oldest open ones; and the credit."""
    from invoicing.models import InvoiceStatus as S

    candidates = [invoice] if invoice.status in COLLECTABLE else []
    candidates += list(Invoice.objects.filter(account_id=invoice.account_id, currency=invoice.currency,
                                              status=S.OPEN, amount_due__gt=0).exclude(pk=invoice.pk)
                       .order_by("due_date", "finalized_at", "id"))
    parts, left = [], amount
    for candidate in candidates:
        part = min(left, candidate.amount_due)
        if part > 0:
            parts.append((candidate, part))
            left -= part
    return parts, left


def _transfer_preview(invoice: Invoice, data: dict) -> Preview:
    amount, reference = data.get("amount") or 0, data.get("reference") or "the reference below"
    parts, credit = _transfer_parts(invoice, amount)
    places = [f"{_m(i, part)} to {i} (due {_m(i, i.amount_due)} → {_m(i, i.amount_due - part)})" for i, part in parts]
    if credit:
        places.append(f"{_m(invoice, credit)} to the customer's credit balance")
    text = (f"Record {_m(invoice, amount)} received from {invoice.account} ({reference}): "
            + ("; ".join(places) or "nothing") + ". Its own invoice first, then the oldest open ones, the rest "
            "as credit.")
    return Preview(text, "" if amount > 0 else "Type the amount that arrived.")


def _transfer(invoice: Invoice, data: dict) -> str:
    from invoicing.models import PaymentSource
    from invoicing.services.money_in import payment_allocate

    done = payment_allocate(account_id=invoice.account_id, currency=invoice.currency, amount=data["amount"],
                            reference=data["reference"].strip(), source=PaymentSource.OUT_OF_BAND,
                            invoice_id=invoice.pk)
    paid = ", ".join(f"{_m(invoice, part)} on invoice #{pk}" for pk, part in done.applied) or "nothing on invoices"
    again = " (already recorded under this reference: nothing new)" if done.replayed else ""
    return f"Recorded {paid}; {_m(invoice, done.credited)} to the credit balance{again}."


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, help_text="Why (kept in the audit trail).")


def _void_preview(invoice: Invoice, data: dict) -> Preview:
    problem = _not_in(invoice, COLLECTABLE, "voided")
    if not problem and invoice.amount_paid:
        problem = (f"{_m(invoice, invoice.amount_paid)} was paid on it: issue a credit note instead.")
    text = (f"Void {invoice} (total {_m(invoice, invoice.total)}): amount due {_m(invoice, invoice.amount_due)} → "
            f"{_m(invoice, 0)}; its number stays used"
            + (f"; the {_m(invoice, invoice.credit_applied)} of credit it used goes back to the customer's balance"
               if invoice.credit_applied else "") + ".")
    return Preview(text, problem)


def _void(invoice: Invoice, data: dict) -> str:
    due = invoice.amount_due
    done = services.invoice_void(invoice=invoice, reason=data.get("reason", ""))
    return f"Voided {done}: {_m(done, due)} is no longer due."


def _uncollectible_preview(invoice: Invoice, data: dict) -> Preview:
    problem = _not_in(invoice, (InvoiceStatus.OPEN,), "marked uncollectible")
    text = (f"Mark {invoice} uncollectible: stop collecting the {_m(invoice, invoice.amount_due)} due "
            f"(total {_m(invoice, invoice.total)}); a later payment still pays it.")
    return Preview(text, problem)


def _uncollectible(invoice: Invoice, data: dict) -> str:
    done = services.invoice_mark_uncollectible(invoice=invoice, reason=data.get("reason", ""))
    return f"Marked {done} uncollectible: {_m(done, done.amount_due)} left unpaid."


mark_paid = MoneyAction(title="Mark paid", form_class=ReferenceForm, describe=_mark_paid_preview, apply=_mark_paid,
                        preview_first=True)
record_transfer = MoneyAction(title="Record a bank transfer", form_class=TransferForm, describe=_transfer_preview,
                              apply=_transfer, form_kwargs=_currencies, summary=_summary)
void = MoneyAction(title="Void", form_class=ReasonForm, describe=_void_preview, apply=_void, preview_first=True)
mark_uncollectible = MoneyAction(title="Mark uncollectible", form_class=ReasonForm, describe=_uncollectible_preview,
                                 apply=_uncollectible, preview_first=True)


# --- lines and discounts on drafts ------------------------------------------------------------------------------

class LineForm(MoneyActionForm):
    description = forms.CharField(max_length=300)
    unit_price = forms.DecimalField(max_digits=20, decimal_places=6, help_text=(
        "In major units, up to 6 decimals (0.000001), kept as typed; negative for a credit line."))
    quantity = forms.DecimalField(max_digits=24, decimal_places=6, min_value=Decimal("0.000001"), initial=1)

    def clean(self):
        data = super().clean()
        if len(self.currencies) > 1:
            self.add_error("unit_price", self.missing_currency_message())
        return data


def _line_amount(invoice: Invoice, data: dict) -> int:
    return round_to_minor(data["quantity"] * data["unit_price"], invoice.currency)


def _line_preview(invoice: Invoice, data: dict) -> Preview:
    amount = _line_amount(invoice, data)
    if abs(invoice.subtotal + amount) > MAX_INVOICE_AMOUNT:
        return Preview(f"Add “{data['description']}” to {invoice}", "Too large an amount for one invoice.")
    try:  # the engine's bound on one line, with its words (what to lower)
        one_off_line(OneOff(data["description"], data["quantity"], data["unit_price"]), invoice.currency)
    except AmountTooLarge as exc:
        return Preview(f"Add “{data['description']}” to {invoice}", exc.message)
    text = (f"Add “{data['description']}” {data['quantity'].normalize():f} × "
            f"{show_unit_price(data['unit_price'], invoice.currency)} = {_m(invoice, amount)} to {invoice}: "
            f"subtotal {_m(invoice, invoice.subtotal)} → {_m(invoice, invoice.subtotal + amount)} "
            "(discounts and tax are worked out again).")
    return Preview(text, _not_in(invoice, (InvoiceStatus.DRAFT,), "changed"))


def _add_line(invoice: Invoice, data: dict) -> str:
    line = services.invoice_line_add(invoice=invoice, description=data["description"],
                                     unit_price=data["unit_price"], quantity=data["quantity"])
    invoice.refresh_from_db()
    return (f"Added “{line.description}” ({_m(invoice, line.amount)}) to {invoice}: "
            f"subtotal now {_m(invoice, invoice.subtotal)}, total {_m(invoice, invoice.total)}.")


class DiscountForm(MoneyActionForm):
    description = forms.CharField(max_length=200)
    percent_off = forms.DecimalField(required=False, max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                     max_value=Decimal(100))
    amount_off = MoneyField(required=False, allow_zero=False, label="Amount off")

    def clean(self):
        data = super().clean()
        if (data.get("percent_off") is None) == (data.get("amount_off") is None) and not self.errors:
            self.add_error("percent_off", "Give either a percentage or an amount off.")
        return data


def _discount_preview(invoice: Invoice, data: dict) -> Preview:
    if data.get("percent_off") is not None:
        estimate = round_to_minor(to_major(invoice.subtotal, invoice.currency) * data["percent_off"] / 100,
                                  invoice.currency)
        off = f"{data['percent_off'].normalize():f}% off (about {_m(invoice, estimate)})"
    else:
        off = f"{_m(invoice, min(data['amount_off'], invoice.subtotal))} off"
    text = (f"Add the discount “{data['description']}” to {invoice}: {off} its subtotal of "
            f"{_m(invoice, invoice.subtotal)}, before tax.")
    return Preview(text, _not_in(invoice, (InvoiceStatus.DRAFT,), "changed"))


def _add_discount(invoice: Invoice, data: dict) -> str:
    discount = services.invoice_discount_add(invoice=invoice, description=data["description"],
                                             percent_off=data.get("percent_off"), amount_off=data.get("amount_off"))
    invoice.refresh_from_db()
    return (f"Added the discount “{discount.description}” to {invoice}: {_m(invoice, discount.amount)} off; "
            f"total now {_m(invoice, invoice.total)}.")


add_line = MoneyAction(title="Add a line", form_class=LineForm, describe=_line_preview, apply=_add_line,
                       form_kwargs=_currencies, summary=_summary)
add_discount = MoneyAction(title="Add a discount", form_class=DiscountForm, describe=_discount_preview,
                           apply=_add_discount, form_kwargs=_currencies, summary=_summary)


# --- credit notes -----------------------------------------------------------------------------------------------

class CreditNoteForm(MoneyActionForm):
    amount = MoneyField(required=False, allow_zero=False, help_text=(
        "Tax included, in major units with the currency's digits (10.00, ¥1,000, 1.250). "
        "Empty: everything left to credit."))
    reason = forms.CharField(max_length=300)
    credit_method = forms.ChoiceField(required=False, choices=[
        ("", "Default: reduce what is due (open), credit the balance (paid)"), *CreditMethod.choices])


def _credit_method(invoice: Invoice, data: dict) -> str:
    return data.get("credit_method") or (CreditMethod.BALANCE if invoice.status == InvoiceStatus.PAID
                                         else CreditMethod.AMOUNT_DUE)


def _credit_preview(invoice: Invoice, data: dict) -> Preview:
    problem = _not_in(invoice, (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE), "credited")
    left = invoice_credit_left(invoice=invoice) if not problem else 0
    amount = data.get("amount") or left
    method = _credit_method(invoice, data)
    head = (f"Issue a credit note of {_m(invoice, amount)} on {invoice} (total {_m(invoice, invoice.total)}, "
            f"{_m(invoice, left)} left to credit)")
    if method == CreditMethod.AMOUNT_DUE:
        effect = f"amount due {_m(invoice, invoice.amount_due)} → {_m(invoice, invoice.amount_due - amount)}"
        if not problem and amount > invoice.amount_due:
            problem = (f"Only {_m(invoice, invoice.amount_due)} is still due on {invoice}: credit the balance "
                       "or refund the rest.")
    elif method == CreditMethod.BALANCE:
        effect = f"the customer's credit balance grows by {_m(invoice, amount)}"
    else:
        refundable = invoice.amount_paid - invoice_refunded_by_credit_notes(invoice=invoice)
        effect = f"{_m(invoice, amount)} is refunded to what the customer paid ({_m(invoice, invoice.amount_paid)})"
        if not problem and amount > refundable:
            problem = f"Only {_m(invoice, max(0, refundable))} paid on {invoice} can still be refunded."
    if not problem and amount <= 0:
        problem = f"Nothing is left to credit on {invoice}."
    elif not problem and amount > left:
        problem = f"At most {_m(invoice, left)} is left to credit on {invoice}."
    return Preview(f"{head}: {effect}. Reason: {data.get('reason', '')}", problem)


def _credit(invoice: Invoice, data: dict) -> str:
    amount = data.get("amount") or invoice_credit_left(invoice=invoice)
    note = services.credit_note_create(invoice=invoice, reason=data["reason"], amount=amount,
                                       credit_method=data.get("credit_method") or None)
    invoice.refresh_from_db()
    return (f"Issued credit note {note} of {_m(invoice, note.total)} on {invoice} "
            f"({note.get_credit_method_display().lower()}); amount due now {_m(invoice, invoice.amount_due)}.")


credit = MoneyAction(title="Issue a credit note", form_class=CreditNoteForm, describe=_credit_preview,
                     apply=_credit, form_kwargs=_currencies, summary=_summary)
