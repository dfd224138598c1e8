"""Draft invoices: created by the bill run or by finance, edited (one-off lines, discounts) until finalized."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from billing.audit import audit_record
from billing.errors import AmountTooLarge, ValidationFailed
from billing.models import Account
from billing.outbox import event_record
from billing.transitions import row_lock
from invoicing.adapters import one_off_line
from invoicing.models import (
    BillingReason,
    CollectionMethod,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.selectors import tax_treatment_for
from invoicing.services.common import WITH_ACCOUNT, payload, refresh_totals, require, state
from invoicing.services.totals import recompute
from pricing import Coupon, Line, LineKind, OneOff, PricedInvoice, currency_exponent
from pricing.money import MAX_AMOUNT, too_large_message

INVOICE_CREATED = "billing.invoice.created"  # a draft: its amounts can change until finalized


def line_row(invoice: Invoice, line: Line, position: int) -> InvoiceLine:
    return InvoiceLine(
        account_id=invoice.account_id, invoice=invoice, position=position, kind=str(line.kind),
        description=line.description[:300], metric_code=line.metric_code, group_key=line.group_key[:200],
        quantity=line.quantity, unit_price=line.unit_price, period_start=line.period_start,
        period_end=line.period_end, proration_factor=line.proration_factor, inputs=line.inputs(),
        amount=line.amount, source=line.reference[:100],
    )


def discount_row(invoice: Invoice, coupon: Coupon, position: int) -> InvoiceDiscount:
    return InvoiceDiscount(account_id=invoice.account_id, invoice=invoice, position=position, code=coupon.code,
                           description=(coupon.description or coupon.code)[:200], percent_off=coupon.percent_off,
                           amount_off=coupon.amount_off, source=coupon.reference[:100])


@transaction.atomic
def invoice_create_draft(
    *, account: Account, currency: str, priced: PricedInvoice | None = None, coupons: tuple[Coupon, ...] = (),
    subscription_id: int | None = None, period_start: datetime | None = None, period_end: datetime | None = None,
    billing_reason: str = BillingReason.MANUAL, collection_method: str = CollectionMethod.CHARGE_AUTOMATICALLY,
    finalize_after: datetime | None = None, memo: str = "", treatment=None,
) -> Invoice:
    """A draft with the engine's lines and the coupons' discounts, totals computed. Announced as
    `billing.invoice.created`, so an operator can review or adjust it before it is finalized."""
    invoice, lines, discounts = draft_build(
        account=account, currency=currency, priced=priced, coupons=coupons, subscription_id=subscription_id,
        period_start=period_start, period_end=period_end, billing_reason=billing_reason,
        collection_method=collection_method, finalize_after=finalize_after, memo=memo,
        treatment=treatment or tax_treatment_for(account))
    invoice.save()  # totals computed first: one INSERT, no UPDATE
    InvoiceLine.objects.bulk_create(lines)
    InvoiceDiscount.objects.bulk_create(discounts)
    audit_record(action="invoice.draft_created", instance=invoice, after=state(invoice))
    event_record(type=INVOICE_CREATED, account_id=invoice.account_id, payload=payload(invoice))
    return invoice


def draft_validate(*, currency: str, collection_method: str, priced: PricedInvoice | None) -> None:
    """A draft's currency and collection method, and its priced lines' currency; ValidationFailed names them."""
    errors = {}
    try:
        currency_exponent(currency)
    except ValueError:
        errors["currency"] = "Unknown ISO 4217 currency code."
    if collection_method not in CollectionMethod.values:
        errors["collection_method"] = f"Must be one of {', '.join(CollectionMethod.values)}."
    if priced is not None and priced.currency != currency:
        errors["currency"] = "The priced lines are in another currency."
    if errors:
        raise ValidationFailed(errors)


def draft_build(
    *, account: Account, currency: str, priced: PricedInvoice | None, coupons: tuple[Coupon, ...],
    subscription_id: int | None, period_start: datetime | None, period_end: datetime | None, billing_reason: str,
    collection_method: str, finalize_after: datetime | None, memo: str, treatment,
) -> tuple[Invoice, list[InvoiceLine], list[InvoiceDiscount]]:
    """The unsaved draft, its lines and discounts, validated and totalled (for `invoice_create_draft`
    and the set-based bill run, which inserts many at once)."""
    draft_validate(currency=currency, collection_method=collection_method, priced=priced)
    invoice = Invoice(
        account=account, currency=currency, subscription_id=subscription_id, period_start=period_start,
        period_end=period_end, billing_reason=billing_reason, collection_method=collection_method,
        finalize_after=finalize_after, memo=memo,
    )
    lines = [line_row(invoice, line, i) for i, line in enumerate(priced.lines if priced else ())]
    discounts = [discount_row(invoice, coupon, i) for i, coupon in enumerate(coupons)]
    recompute(invoice, lines, discounts, treatment)
    return invoice, lines, discounts


def _decimal(value, field: str, errors: dict, *, positive: bool = False) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = "Must be a number."
        return None
    if not number.is_finite() or (positive and number <= 0):
        errors[field] = "Must be a positive number." if positive else "Must be a finite number."
        return None
    return number


@transaction.atomic
def invoice_line_add(*, invoice: Invoice, description: str, unit_price, quantity=1) -> InvoiceLine:
    """A one-off charge (or credit, with a negative price) added by finance to a draft."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    require(invoice, InvoiceStatus.DRAFT, action="add a line to")
    errors: dict = {}
    if not (description or "").strip():
        errors["description"] = "This field is required."
    qty = _decimal(quantity, "quantity", errors, positive=True)
    price = _decimal(unit_price, "unit_price", errors)
    item = None
    if not errors:
        try:
            item = OneOff(description.strip(), qty, price, reference="one_off")
        except ValueError as exc:
            errors["unit_price"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    before = state(invoice)
    position = (invoice.lines.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    line = line_row(invoice, one_off_line(item, invoice.currency), position)  # AmountTooLarge past a line's bound
    line.save()
    try:
        refresh_totals(invoice)
    except AmountTooLarge as exc:  # past an invoice's bound: the line's inputs are what to lower
        raise AmountTooLarge(exc.message, fields={"quantity": [exc.message], "unit_price": [exc.message]}) from None
    audit_record(action="invoice.line_added", instance=invoice, before=before,
                 after={**state(invoice), "line": {"id": line.pk, "description": line.description,
                                                   "amount": line.amount}})
    return line


@transaction.atomic
def invoice_line_remove(*, invoice: Invoice, line_id: int) -> Invoice:
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    require(invoice, InvoiceStatus.DRAFT, action="remove a line from")
    line = invoice.lines.filter(pk=line_id).first()
    if line is None:
        raise ValidationFailed({"line_id": "No such line on this invoice."})
    before = {**state(invoice), "line": {"id": line.pk, "description": line.description, "amount": line.amount,
                                         "kind": line.kind}}
    line.delete()
    refresh_totals(invoice)
    audit_record(action="invoice.line_removed", instance=invoice, before=before, after=state(invoice))
    return invoice


@transaction.atomic
def invoice_discount_add(*, invoice: Invoice, description: str, percent_off=None, amount_off: int | None = None,
                         code: str = "") -> InvoiceDiscount:
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    require(invoice, InvoiceStatus.DRAFT, action="discount")
    errors: dict = {}
    if not (description or "").strip():
        errors["description"] = "This field is required."
    if (percent_off is None) == (amount_off is None):
        errors["percent_off"] = "Give either percent_off or amount_off."
    pct = None
    if percent_off is not None:
        pct = _decimal(percent_off, "percent_off", errors, positive=True)
        if pct is not None and (pct > 100 or pct != pct.quantize(Decimal("0.01"))):
            errors["percent_off"] = "Must be at most 100, with at most 2 decimals."
    if amount_off is not None and (not isinstance(amount_off, int) or amount_off <= 0):
        errors["amount_off"] = "Must be a positive whole number of minor units."
    elif amount_off is not None and amount_off > MAX_AMOUNT:
        errors["amount_off"] = too_large_message(invoice.currency)
    if errors:
        raise ValidationFailed(errors)
    before = state(invoice)
    position = (invoice.discounts.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    discount = InvoiceDiscount.objects.create(account_id=invoice.account_id, invoice=invoice, position=position,
                                              code=code[:64], description=description.strip()[:200],
                                              percent_off=pct, amount_off=amount_off, source="finance")
    refresh_totals(invoice)
    discount.refresh_from_db()
    audit_record(action="invoice.discount_added", instance=invoice, before=before,
                 after={**state(invoice), "discount": {"id": discount.pk, "amount": discount.amount}})
    return discount


@transaction.atomic
def invoice_discount_remove(*, invoice: Invoice, discount_id: int) -> Invoice:
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    require(invoice, InvoiceStatus.DRAFT, action="remove a discount from")
    discount = invoice.discounts.filter(pk=discount_id).first()
    if discount is None:
        raise ValidationFailed({"discount_id": "No such discount on this invoice."})
    before = state(invoice)
    discount.delete()
    refresh_totals(invoice)
    audit_record(action="invoice.discount_removed", instance=invoice, before=before, after=state(invoice))
    return invoice


__all__ = ["LineKind", "invoice_create_draft", "invoice_discount_add", "invoice_discount_remove",
           "invoice_line_add", "invoice_line_remove"]
