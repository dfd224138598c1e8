"""Console pages: the active account's invoices (filtered, paginated), an invoice's PDF, and the upcoming
invoice. One invoice that adds up to its amount due shows payments' refunds too: console.views.invoice_detail.
The URLconf of all four is console/invoice_urls.py."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from billing import clock
from billing.display import Display
from billing.errors import AmountTooLarge
from billing.models import LIVE_STATUSES
from billing.selectors import subscription_shown
from billing.views import MANAGER_ROLES, console_required
from invoicing.models import InvoiceStatus
from invoicing.selectors_console import SHOWN_STATUSES, invoices_listed
from invoicing.statement import badge_of, statement_view

PAGE_SIZE = 20


class InvoiceFilter(forms.Form):
    # Choosing a status sends the form at once (console.js); the dates wait for the Filter button.
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + [
        (value, label) for value, label in InvoiceStatus.choices if value in SHOWN_STATUSES],
        widget=forms.Select(attrs={"data-submit-on-change": ""}))
    issued_from = forms.DateField(label=_("Issued from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = forms.DateField(label=_("Issued until"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", _("Give a day on or after the first one."))
        return data


@console_required
def invoice_list(request):
    account_id = request.active_membership.account_id
    display = Display.for_request(request)
    form = InvoiceFilter(request.GET or None, auto_id="%s")
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    invoices = invoices_listed(account_id=account_id, status=filters.get("status") or None,
                               issued_from=filters.get("issued_from"), issued_to=filters.get("issued_to"))
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.now().date()
    can_pay = request.active_membership.role in MANAGER_ROLES
    rows = []
    for invoice in page:
        badge, words = badge_of(invoice, today)
        rows.append({"invoice": invoice, "badge": badge, "status": words, "issued": display.day(invoice.issue_date),
                     "period": display.period(invoice.period_start, invoice.period_end),
                     "total": display.money(invoice.total, invoice.currency),
                     "due": display.money(invoice.amount_due, invoice.currency),
                     "payable": can_pay and invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "invoicing/console/invoice_list.html", {
        "rows": rows, "page": page, "form": form, "query": query.urlencode(),
        "filtered": bool(filters and any(filters.values())), "upcoming": _upcoming_rows(account_id, display)})


def _upcoming_rows(account_id: int, display: Display) -> list[dict]:
    """Each live subscription's next invoice as of now; "—" where its terms pass the amount bounds
    (finance is told by the bill run; the customer is shown no made-up figure)."""
    from billing.models import Subscription
    from invoicing.upcoming import invoice_upcoming

    rows = []
    for subscription in Subscription.objects.filter(account_id=account_id, status__in=LIVE_STATUSES).select_related(
            "plan", "account").order_by("id"):
        try:
            estimate = invoice_upcoming(subscription=subscription).invoice
            total = display.money(estimate.total, estimate.currency)
        except AmountTooLarge:
            total = "—"
        rows.append({"plan": subscription.plan.name, "renews_on": display.day(subscription.current_period_end),
                     "total": total})
    return rows


@console_required
def invoice_pdf(request, invoice_id: int):
    from invoicing.api.views import pdf_response
    from invoicing.selectors import invoice_with_lines
    from invoicing.services.documents import invoice_pdf_store

    invoice = invoice_with_lines(invoice_id=invoice_id, account_id=request.active_membership.account_id)
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        raise Http404("No such invoice.")
    if not invoice.pdf or invoice.pdf_status != invoice.status:
        invoice = invoice_pdf_store(invoice_id=invoice.pk)
    return pdf_response(request, invoice.pdf, invoice.pdf_etag, f"{invoice.number}.pdf")


@console_required
def invoice_upcoming_view(request):
    """What the next invoice would be if the period ended now: the renewal's fees and the usage so far."""
    from billing.models import BillableMetric
    from invoicing.selectors_console import InvoiceStatement
    from invoicing.upcoming import invoice_upcoming

    account_id = request.active_membership.account_id
    display = Display.for_request(request)
    subscription = subscription_shown(account_id=account_id)
    context = {"subscription": subscription, "error": ""}
    if subscription is not None and subscription.status in LIVE_STATUSES:
        try:
            upcoming = invoice_upcoming(subscription=subscription)
        except AmountTooLarge as exc:
            context["error"] = exc.message
        else:
            codes = {line.metric_code for line in upcoming.lines if line.metric_code}
            statement = InvoiceStatement(upcoming.invoice, upcoming.lines, upcoming.discounts, [], [],
                                         metrics={m.code: m for m in BillableMetric.objects.filter(code__in=codes)})
            context.update(view=statement_view(statement, display), invoice=upcoming.invoice,
                           renews_on=display.day(subscription.current_period_end))
    return render(request, "invoicing/console/invoice_upcoming.html", context)


@console_required
def invoice_ubl(request, invoice_id: int):
    """The invoice as a UBL 2.1 e-invoice (EN 16931), for the customer's accounting system."""
    from invoicing.api.einvoice import ubl_download
    from invoicing.selectors import invoice_with_lines

    invoice = invoice_with_lines(invoice_id=invoice_id, account_id=request.active_membership.account_id)
    if invoice is None or invoice.status == InvoiceStatus.DRAFT:
        raise Http404("No such invoice.")
    return ubl_download([invoice])
