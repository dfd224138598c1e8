"""The hosted invoice page: what a customer opens from an invoice email without signing in (issue 16; the
anchor is Stripe's hosted invoice page). The invoice with its lines and totals (the console's statement), its
PDF, and a Pay button with a new card, under the signed token of invoicing/hosted_links.py.

No one is signed in, so no request scope is set for it: each view reads the invoice under the account the
token names (billing.tenancy.tenant_scope) and checks the invoice belongs to that account. Open and paid
invoices are shown; a draft, a void or an uncollectible invoice, a tampered or unknown token all answer 404.
The account's saved cards are never offered to a visitor. Requests are counted per client address
(HOSTED_INVOICE_RATE a minute, in the cache) so the page cannot be used to try tokens at speed.
"""

from __future__ import annotations

import time
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import clock, tenancy
from billing.context import Actor, acting_as
from billing.display import Display
from billing.errors import BillingError
from billing.middleware import client_ip
from invoicing.hosted_links import hosted_invoice_read
from invoicing.models import Invoice, InvoiceStatus
from invoicing.selectors_console import invoice_statement
from invoicing.statement import badge_of, statement_view
from payments import conf, selectors
from payments.csp import allows_stripe_js
from payments.models import Payment, PaymentSetup
from payments.pay_flow import (
    attempt_from,
    authenticate_context,
    authenticate_finish,
    new_card_context,
    outcome_redirect,
)
from payments.services.methods import payment_method_setup_start
from payments.services.paying import invoice_pay_with_setup, invoice_payable

BASE = "payments/hosted/base.html"
SHOWN = (InvoiceStatus.OPEN, InvoiceStatus.PAID)
WINDOW_SECONDS = 60
SESSION_SETUPS = "hosted_invoice_setups"
KEPT_SETUPS = 10


def _throttled(request) -> bool:
    """A fixed window per client address; with the cache down, the page still answers."""
    key = f"hosted-invoice:{client_ip(request) or '-'}:{int(time.time()) // WINDOW_SECONDS}"
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        return cache.incr(key) > conf.settings.HOSTED_INVOICE_RATE
    except Exception:  # noqa: BLE001 (a cache outage must not take the page down)
        return False


def hosted(view):
    """Token -> the invoice, under its account's scope, acting as the page's anonymous visitor."""

    @wraps(view)
    def wrapped(request, token: str, *args, **kwargs):
        if _throttled(request):
            response = HttpResponse(_("Too many requests: try again in a minute."), status=429,
                                    content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        ref = hosted_invoice_read(token)
        if ref is None:
            raise Http404("No such invoice.")
        visitor = Actor(type="system", id="hosted-invoice-page", label="hosted invoice page",
                        ip_address=client_ip(request))
        with tenancy.tenant_scope(ref.account_id), acting_as(visitor):
            invoice = (Invoice.objects.filter(pk=ref.invoice_id, account_id=ref.account_id, status__in=SHOWN)
                       .select_related("account").first())
            if invoice is None:
                raise Http404("No such invoice.")
            return view(request, invoice, token, *args, **kwargs)

    return wrapped


def _url(name: str, token: str, *args) -> str:
    return reverse(f"hosted-invoice:{name}", args=[token, *args])


def _urls(token: str) -> dict:
    return {"done_url": _url("invoice", token), "retry_url": _url("invoice", token),
            "authenticate_url": lambda payment: _url("authenticate", token, payment.pk)}


@require_GET
@hosted
def hosted_invoice(request, invoice: Invoice, token: str):
    statement = invoice_statement(invoice_id=invoice.pk, account_id=invoice.account_id)
    display = Display.for_request(request)
    badge, words = badge_of(invoice, clock.now().date())
    return render(request, "payments/hosted/invoice.html", {
        "base_template": BASE, "invoice": invoice, "token": token, "view": statement_view(statement, display),
        "badge": badge, "status": words, "issued": display.day(invoice.issue_date), "due": display.day(invoice.due_date),
        "period": display.period(invoice.period_start, invoice.period_end),
        "amount_due": display.money(invoice.amount_due, invoice.currency),
        "paid_on": display.day(invoice.paid_at) if invoice.status == InvoiceStatus.PAID and invoice.paid_at else "",
        "payable": invoice_payable(invoice),
    })


@require_GET
@hosted
def hosted_invoice_pdf(request, invoice: Invoice, token: str):
    from invoicing.api.views import pdf_response
    from invoicing.services.documents import invoice_pdf_store

    if not invoice.pdf or invoice.pdf_status != invoice.status:
        invoice = invoice_pdf_store(invoice_id=invoice.pk)
    return pdf_response(request, invoice.pdf, invoice.pdf_etag, f"{invoice.number}.pdf")


def _not_payable(request, invoice: Invoice, token: str):
    if invoice_payable(invoice):
        return None
    messages.info(request, _("There is nothing left to pay on this invoice."))
    return redirect("hosted-invoice:invoice", token=token)


@require_GET
@allows_stripe_js
@hosted
def hosted_invoice_pay(request, invoice: Invoice, token: str):
    """Pay with a new card (the account's saved cards are not offered to a visitor)."""
    if (back := _not_payable(request, invoice, token)) is not None:
        return back
    try:
        started = payment_method_setup_start(account=invoice.account)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("hosted-invoice:invoice", token=token)
    # Only a card this visitor entered may pay: the setup is bound to their session, so another setup id of
    # the account (a card saved in the console) cannot be sent here to charge a saved card.
    request.session[SESSION_SETUPS] = [*request.session.get(SESSION_SETUPS, [])[-(KEPT_SETUPS - 1):],
                                       started.setup.pk]
    display = Display.for_request(request)
    return render(request, "payments/pay/new_card.html", {
        **new_card_context(started), "base_template": BASE, "invoice": invoice,
        "amount_due": display.money(invoice.amount_due, invoice.currency), "back_url": _url("invoice", token),
        "attempt": selectors.payment_next_attempt(invoice_id=invoice.pk),
        "action": _url("pay-done", token, started.setup.pk),
    })


@require_POST
@hosted
def hosted_invoice_pay_done(request, invoice: Invoice, token: str, setup_id: int):
    if (back := _not_payable(request, invoice, token)) is not None:
        return back
    setup = PaymentSetup.objects.filter(pk=setup_id, account_id=invoice.account_id).first()
    attempt = attempt_from(request.POST.get("attempt"))
    if setup is None or attempt is None or setup.pk not in request.session.get(SESSION_SETUPS, []):
        raise Http404("No such card setup.")
    try:
        setup, payment = invoice_pay_with_setup(invoice=invoice, setup=setup, attempt=attempt,
                                                test_card=request.POST.get("test_card", ""))
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("hosted-invoice:invoice", token=token)
    if payment is None and setup.status != "succeeded":
        messages.error(request, (setup.failure_message or _("The card was not accepted.")) + " "
                       + _("Nothing was charged: try another card."))
        return redirect("hosted-invoice:invoice", token=token)
    return outcome_redirect(request, payment, **_urls(token))


def _payment_of(invoice: Invoice, payment_id: int) -> Payment:
    payment = selectors.payment_of_invoice(account_id=invoice.account_id, invoice_id=invoice.pk,
                                           payment_id=payment_id)
    if payment is None:
        raise Http404("No such payment.")
    return payment


@require_http_methods(["GET", "POST"])
@allows_stripe_js
@hosted
def hosted_payment_authenticate(request, invoice: Invoice, token: str, payment_id: int):
    """3-D Secure for a payment of this invoice: the page, and (POST) the outcome Stripe.js reached."""
    payment = _payment_of(invoice, payment_id)
    if request.method == "POST":
        payment = authenticate_finish(request, payment)
        if payment.status == "succeeded":
            return redirect("hosted-invoice:invoice", token=token)
        return redirect("hosted-invoice:authenticate", token=token, payment_id=payment.pk)
    return render(request, "payments/console/payment_authenticate.html", {
        **authenticate_context(request, payment), "base_template": BASE,
        "done_url": _url("authenticate", token, payment.pk), "invoice_url": _url("invoice", token),
        "methods_url": "",
    })
