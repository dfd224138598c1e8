"""Console pages: the active account's invoices, their lines, PDFs, and what comes next."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from billing.errors import AmountTooLarge
from billing.models import Subscription, SubscriptionStatus
from billing.views import console_required
from invoicing import selectors
from invoicing.documents import formatting as fmt
from invoicing.models import InvoiceStatus
from invoicing.upcoming import invoice_upcoming

PAGE_SIZE = 25


def _lang(request) -> str:
    return (getattr(request, "LANGUAGE_CODE", "") or "en").split("-")[0]


@console_required
def invoice_list(request):
    account_id = request.active_membership.account_id
    status = request.GET.get("status") or None
    if status not in (None, *InvoiceStatus.values):
        status = None
    invoices = selectors.invoices_for(account_id=account_id, status=status).exclude(status=InvoiceStatus.DRAFT)
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    lang = _lang(request)
    rows = [{"invoice": i, "total": fmt.money(i.total, i.currency, lang),
             "amount_due": fmt.money(i.amount_due, i.currency, lang), "issue_date": fmt.day(i.issue_date, lang),
             "due_date": fmt.day(i.due_date, lang)} for i in page]
    upcoming = []
    live = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.TRIALING)
    for subscription in Subscription.objects.filter(account_id=account_id, status__in=live).select_related(
            "plan", "account"):
        try:
            estimate = invoice_upcoming(subscription=subscription).invoice
            total = fmt.money(estimate.total, estimate.currency, lang)
        except AmountTooLarge:  # terms past the amount bounds: finance is told by the bill run
            total = "—"
        upcoming.append({"plan": subscription.plan.name, "renews_on": fmt.day(subscription.current_period_end, lang),
                         "total": total})
    return render(request, "invoicing/console/invoice_list.html",
                  {"rows": rows, "page": page, "status": status, "statuses": InvoiceStatus.choices[1:],
                   "upcoming": upcoming})


@console_required
def invoice_detail(request, invoice_id: int):
    invoice = selectors.invoice_with_lines(invoice_id=invoice_id, account_id=request.active_membership.account_id)
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        raise Http404
    lang = _lang(request)
    lines = [{"line": line, "quantity": fmt.quantity(line.quantity, lang),
              "unit_price": fmt.unit_price(line.unit_price, invoice.currency, lang),
              "period": fmt.period(line.period_start, line.period_end, lang),
              "amount": fmt.money(line.amount, invoice.currency, lang)} for line in invoice.lines.all()]
    money = lambda minor: fmt.money(minor, invoice.currency, lang)  # noqa: E731
    return render(request, "invoicing/console/invoice_detail.html", {
        "invoice": invoice, "lines": lines, "subtotal": money(invoice.subtotal),
        "discount_total": money(invoice.discount_total), "tax_total": money(invoice.tax_total),
        "total": money(invoice.total), "amount_due": money(invoice.amount_due),
        "issue_date": fmt.day(invoice.issue_date, lang), "due_date": fmt.day(invoice.due_date, lang)})


@console_required
def invoice_pdf(request, invoice_id: int):
    from invoicing.api.views import pdf_response
    from invoicing.services.documents import invoice_pdf_store

    invoice = selectors.invoice_with_lines(invoice_id=invoice_id, account_id=request.active_membership.account_id)
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        raise Http404
    if not invoice.pdf or invoice.pdf_status != invoice.status:
        invoice = invoice_pdf_store(invoice_id=invoice.pk)
    return pdf_response(request, invoice.pdf, invoice.pdf_etag, f"{invoice.number}.pdf")
