"""An invoice as the console shows it: lines in words (metric names and units, the price with its block,
the units included), then each step from the subtotal to the amount due, so the page visibly adds up.

Pure presentation of `invoicing.selectors_console.InvoiceStatement`: no query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.display import Display
from invoicing.models import CreditMethod, InvoiceStatus, LineKind

USAGE_KINDS = (LineKind.USAGE, LineKind.LATE_USAGE)
IN_ADVANCE = (LineKind.FLAT, LineKind.SEATS, LineKind.PRORATION)


@dataclass
class LineView:
    description: str
    detail: list[str]  # smaller lines under the description: group, units included, tiers, proration
    period: str
    quantity: str
    price: str
    amount: str
    timing: str = ""  # "in advance" (fees for the coming period) or "in arrears" (usage of the period ended)
    tax: str = ""  # the line's tax rate, "20%", when asked for (`taxed`: the PDF; the console shows tax in its steps)


@dataclass
class StepView:
    label: str
    amount: str
    kind: str = "step"  # step | subtotal | grand


@dataclass
class StatementView:
    lines: list[LineView]
    steps: list[StepView]
    payments: list[dict] = field(default_factory=list)
    credit_notes: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)


def badge_of(invoice, today) -> tuple[str, str]:
    """(css class, words) of the invoice's status; an open invoice past its due date says so."""
    if invoice.status == InvoiceStatus.OPEN and (invoice.overdue_at or (invoice.due_date and invoice.due_date < today)):
        return "bad", _("Overdue")
    return {InvoiceStatus.OPEN: ("warn", _("Open")), InvoiceStatus.PAID: ("ok", _("Paid")),
            InvoiceStatus.VOID: ("neutral", _("Void")),
            InvoiceStatus.UNCOLLECTIBLE: ("bad", _("Uncollectible")),
            InvoiceStatus.DISPUTED: ("warn", _("Disputed"))}.get(invoice.status, ("neutral", invoice.status))


def _group_words(group_key: str) -> str:
    return ", ".join(part.replace("=", " ", 1) for part in group_key.split("|"))


def _usage_line(line, metric, currency: str, d: Display) -> tuple[str, list[str], str, str]:
    inputs = line.inputs or {}
    unit = metric.unit if metric else ""
    name = metric.name if metric else (line.description or line.metric_code)
    detail = [_group_words(line.group_key)] if line.group_key else []
    if line.kind == LineKind.LATE_USAGE:
        detail.append(_("usage that arrived after the period was invoiced"))
    free = Decimal(inputs.get("free_units") or 0)
    if free:
        detail.append(_("%(units)s %(unit)s included") % {"units": d.number(free), "unit": unit})
    model = inputs.get("charge_model") or ""
    block = Decimal(inputs.get("block_size") or 1)
    price = ""
    if model == "package":
        size = Decimal((inputs.get("charge") or {}).get("package_size") or block)
        price = d.price_per(line.unit_price or 0, currency, block=size, unit=unit) + " " + _("(started packages)")
    elif inputs.get("tiers"):
        price = _("tiered")
        for part in inputs["tiers"]:
            tier_price = d.price_per(Decimal(part.get("unit_price") or 0), currency, block=block, unit=unit)
            detail.append(_("tier %(n)s: %(qty)s %(unit)s at %(price)s") % {
                "n": part.get("tier"), "qty": d.number(Decimal(part.get("quantity") or 0)), "unit": unit,
                "price": tier_price})
    elif line.unit_price is not None:
        price = d.price_per(line.unit_price, currency, block=block, unit=unit)
    quantity = f"{d.number(line.quantity)} {unit}".strip()
    return name, detail, quantity, price


def line_view(line, metric, currency: str, d: Display, *, taxed: bool = False) -> LineView:
    """One invoice line in words, the one rule the console's statement and the PDF both describe lines by:
    the metric's name and unit, the price with its block, the units included, the tiers, the proration, when
    it is billed (fees in advance, usage in arrears) and, with `taxed`, its tax rate."""
    if line.kind in USAGE_KINDS and line.metric_code:
        name, detail, quantity, price = _usage_line(line, metric, currency, d)
    else:
        name, detail = line.description, []
        quantity, price = d.number(line.quantity), d.unit_price(line.unit_price, currency)
    if line.proration_factor is not None and Decimal(line.proration_factor) != 1:
        detail.append(_("prorated: %(share)s of the period") % {
            "share": d.percent((Decimal(line.proration_factor) * 100).quantize(Decimal("0.1")))})
    timing = ""
    if line.period_start and line.kind in IN_ADVANCE:
        timing = _("in advance")
    elif line.period_start and line.kind in USAGE_KINDS:
        timing = _("in arrears")
    tax = d.percent(Decimal(line.tax_percentage or 0)) if taxed else ""
    return LineView(name, detail, d.period(line.period_start, line.period_end), quantity, price,
                    d.money(line.amount, currency), timing, tax)


def statement_view(statement, d: Display) -> StatementView:
    invoice = statement.invoice
    currency = invoice.currency
    lines = [line_view(line, statement.metrics.get(line.metric_code), currency, d) for line in statement.lines]
    money = lambda minor: d.money(minor, currency)  # noqa: E731
    steps = [StepView(_("Subtotal"), money(invoice.subtotal), "subtotal")]
    for discount in statement.discounts:
        label = discount.description or discount.code
        steps.append(StepView(_("Discount: %(name)s") % {"name": label}, "−" + money(discount.amount)))
    for tax in invoice.tax_breakdown or []:
        rate = d.percent(Decimal(str(tax.get("percentage") or 0)))
        words = _("%(name)s %(rate)s on %(taxable)s") % {"name": tax.get("name") or _("Tax"), "rate": rate,
                                                          "taxable": money(int(tax.get("taxable") or 0))}
        if tax.get("inclusive"):
            words += " " + _("(included in the prices)")
        steps.append(StepView(words, money(int(tax.get("tax") or 0))))
    if not invoice.tax_breakdown and invoice.tax_total:
        steps.append(StepView(_("Tax"), money(invoice.tax_total)))
    steps.append(StepView(_("Total"), money(invoice.total), "subtotal"))
    if invoice.credit_applied:
        steps.append(StepView(_("Credit applied from your balance"), "−" + money(invoice.credit_applied)))
    if invoice.credited_total:
        steps.append(StepView(_("Credit notes"), "−" + money(invoice.credited_total)))
    refunded = sum(n.total for n in statement.credit_notes if n.credit_method == CreditMethod.REFUND)
    if refunded:  # a refund's credit note takes it off; the money going back puts it on again
        steps.append(StepView(_("Credit notes refunded"), "−" + money(refunded)))
    if invoice.amount_paid:
        steps.append(StepView(_("Paid"), "−" + money(invoice.amount_paid)))
    if refunded:
        steps.append(StepView(_("Refunded to you"), "+" + money(refunded)))
    if invoice.amount_reversed:
        steps.append(StepView(_("Taken back by a card dispute (chargeback)"), "+" + money(invoice.amount_reversed)))
    steps.append(StepView(_("Amount due"), money(invoice.amount_due), "grand"))
    methods = {CreditMethod.AMOUNT_DUE: _("taken off the amount due"), CreditMethod.BALANCE: _("added to your credit balance"),
               CreditMethod.REFUND: _("refunded")}
    return StatementView(
        lines=lines, steps=steps,
        payments=[{"day": d.day(p.recorded_at), "amount": money(p.amount), "reference": p.reference}
                  for p in statement.payments],
        credit_notes=[{"number": n.number, "day": d.day(n.issue_date), "amount": money(n.total), "reason": n.reason,
                       "method": methods.get(n.credit_method, n.credit_method)} for n in statement.credit_notes],
        refunds=[{"day": d.day(r.succeeded_at or r.created_at), "amount": d.money(r.amount, r.currency),
                  "status": _("refunded") if r.status == "succeeded" else _("refund under way"), "reason": r.reason}
                 for r in statement.refunds],
    )
