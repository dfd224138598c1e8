"""Console pages that compose several apps: the overview, and one invoice that adds up to its amount due
(invoicing's statement with payments' refunds)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from billing import clock
from billing.display import Display
from billing.views import MANAGER_ROLES, console_required
from console.selectors import account_overview, invoice_statement_with_refunds
from invoicing.balance import account_balance
from invoicing.models import InvoiceStatus
from invoicing.statement import badge_of, statement_view
from metering.usage_cards import usage_card


@console_required
def home(request):
    """The overview: plan and period, what is due now, the next invoice, usage, and what to act on."""
    membership = request.active_membership
    display = Display.for_request(request)
    overview = account_overview(account_id=membership.account_id)
    # The one balance the API reports and the daily ledger check verifies.
    balances = account_balance(account_id=membership.account_id).values()
    today = overview.at.date()
    overdue = [i for i in overview.open_invoices if i.due_date and i.due_date < today]
    subscription = overview.subscription
    upcoming = overview.upcoming
    return render(request, "console/home.html", {
        "overview": overview, "subscription": subscription,
        "period": display.period(subscription.current_period_start, subscription.current_period_end)
        if subscription else "",
        "trial_end": display.day(subscription.trial_end) if subscription and subscription.trial_end else "",
        "due_now": [display.money(b.due, b.currency) for b in balances if b.due],
        "credit_balance": [display.money(b.credit, b.currency) for b in balances if b.credit],
        "pay_invoice": next((i for i in overview.open_invoices if i.amount_due), None),
        "can_pay": membership.role in MANAGER_ROLES,
        "overdue": [{"invoice": i, "amount": display.money(i.amount_due, i.currency), "due": display.day(i.due_date)}
                    for i in overdue],
        "failed": [{"payment": p, "amount": display.money(p.amount, p.currency)} for p in overview.failed_payments],
        "upcoming_total": display.money(upcoming.total, upcoming.currency) if upcoming is not None else "",
        "upcoming_on": display.day(subscription.current_period_end) if upcoming is not None else "",
        "usage_cards": [usage_card(item, display) for item in overview.usage.metrics],
    })


@console_required
def invoice_detail(request, invoice_id: int):
    statement = invoice_statement_with_refunds(invoice_id=invoice_id,
                                               account_id=request.active_membership.account_id)
    if statement is None:
        raise Http404("No such invoice.")
    display = Display.for_request(request)
    invoice = statement.invoice
    badge, words = badge_of(invoice, clock.now().date())
    return render(request, "invoicing/console/invoice_detail.html", {
        "invoice": invoice, "view": statement_view(statement, display), "badge": badge, "status": words,
        "issued": display.day(invoice.issue_date), "due": display.day(invoice.due_date),
        "period": display.period(invoice.period_start, invoice.period_end),
        "amount_due": display.money(invoice.amount_due, invoice.currency),
        "paid_on": display.day(invoice.paid_at) if invoice.status == InvoiceStatus.PAID and invoice.paid_at else "",
        "can_pay": request.active_membership.role in MANAGER_ROLES and invoice.status == InvoiceStatus.OPEN
        and invoice.amount_due > 0,
    })
