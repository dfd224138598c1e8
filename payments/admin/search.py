"""One search box for finance staff (/admin/search/?q=): accounts by name, billing email, external id or
Stripe customer id, and invoices by number. Here because the Stripe ids are the payments app's."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse

from billing.admin.money import show_money
from billing.models import Account
from invoicing.models import Invoice
from payments.models import GatewayCustomer

LIMIT = 50


def search_results(query: str) -> tuple[list[Account], list[Invoice]]:
    """Accounts and invoices matching `query` (case-insensitive, part of a word), at most LIMIT of each."""
    query = query.strip()
    if not query:
        return [], []
    by_stripe = GatewayCustomer.objects.filter(customer_id__iexact=query).values("account_id")
    accounts = (Account.objects.filter(Q(name__icontains=query) | Q(external_id__icontains=query)
                                       | Q(billing_profile__email__icontains=query) | Q(pk__in=by_stripe))
                .select_related("billing_profile").distinct().order_by("name", "pk")[:LIMIT])
    invoices = (Invoice.objects.filter(number__icontains=query).select_related("account")
                .order_by("-issue_date", "-pk")[:LIMIT])
    invoices = list(invoices)
    for invoice in invoices:
        invoice.total_shown = show_money(invoice.total, invoice.currency)
    return list(accounts), invoices


def search_page(request):
    if not (request.user.has_perm("billing.view_account") or request.user.has_perm("invoicing.view_invoice")):
        raise PermissionDenied
    query = request.GET.get("q", "")[:200]
    accounts, invoices = search_results(query)
    if not request.user.has_perm("billing.view_account"):
        accounts = []
    if not request.user.has_perm("invoicing.view_invoice"):
        invoices = []
    return TemplateResponse(request, "admin/search/page.html", {
        **admin.site.each_context(request), "title": f"Search: {query}" if query else "Search", "query": query,
        "accounts": accounts, "invoices": invoices, "limit": LIMIT,
    })
