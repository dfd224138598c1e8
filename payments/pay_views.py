"""Console pages: paying one open invoice with a saved card or a new one (issue 16).

Mounted under /console/invoices/ by console/invoice_urls.py (namespace `invoicing-console`). Owners and
billing managers pay; a viewer is refused (403); another account's invoice is not found (404). Every POST
ends in a redirect (PRG) and carries the attempt its form was drawn for, so a resend charges nothing new
(payments/services/paying.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.display import Display
from billing.errors import BillingError
from billing.views import MANAGER_ROLES, console_required
from invoicing.models import Invoice, InvoiceStatus
from payments import selectors
from payments.csp import allows_stripe_js
from payments.models import PaymentSetup
from payments.pay_flow import NEW_CARD, PayForm, attempt_from, new_card_context, outcome_redirect
from payments.services.methods import payment_method_setup_start
from payments.services.paying import invoice_pay, invoice_pay_with_setup, invoice_payable


def _own_invoice(request, invoice_id: int) -> Invoice:
    invoice = (Invoice.objects.filter(pk=invoice_id, account_id=request.active_membership.account_id)
               .exclude(status=InvoiceStatus.DRAFT).first())
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def _refused():
    return HttpResponseForbidden(_("Only owners and billing managers pay invoices."))


def _urls(invoice: Invoice) -> dict:
    return {"done_url": reverse("invoicing-console:invoice", args=[invoice.pk]),
            "retry_url": reverse("invoicing-console:invoice-pay", args=[invoice.pk]),
            "authenticate_url": lambda payment: reverse("console:payment-authenticate", args=[payment.pk])}


def _page(request, invoice: Invoice) -> dict:
    display = Display.for_request(request)
    return {"invoice": invoice, "base_template": "console/base.html", "console_section": "invoices",
            "amount_due": display.money(invoice.amount_due, invoice.currency), "due": display.day(invoice.due_date),
            "back_url": reverse("invoicing-console:invoice", args=[invoice.pk])}


def _payable_or_back(request, invoice: Invoice):
    if request.active_membership.role not in MANAGER_ROLES:
        return _refused()
    if not invoice_payable(invoice):
        messages.info(request, _("There is nothing left to pay on this invoice."))
        return redirect("invoicing-console:invoice", invoice_id=invoice.pk)
    return None


@console_required
def invoice_pay_page(request, invoice_id: int):
    """The saved cards (the default first) and "a new card", the amount in the currency's own digits."""
    invoice = _own_invoice(request, invoice_id)
    if (refused := _payable_or_back(request, invoice)) is not None:
        return refused
    methods = selectors.payment_methods_offered(account_id=invoice.account_id)
    if request.method == "POST":
        form = PayForm(request.POST, methods=methods)
        if form.is_valid():
            attempt = form.cleaned_data["attempt"]
            if form.cleaned_data["method"] == NEW_CARD:
                return redirect(reverse("invoicing-console:invoice-pay-new", args=[invoice.pk])
                                + f"?attempt={attempt}")
            try:
                payment = invoice_pay(invoice=invoice, payment_method_id=int(form.cleaned_data["method"]),
                                      attempt=attempt)
            except BillingError as exc:
                messages.error(request, exc.message)
                return redirect("invoicing-console:invoice-pay", invoice_id=invoice.pk)
            return outcome_redirect(request, payment, **_urls(invoice))
        status = 400
    else:
        form = PayForm(initial={"attempt": selectors.payment_next_attempt(invoice_id=invoice.pk)}, methods=methods)
        status = 200
    return render(request, "payments/pay/pay.html", {**_page(request, invoice), "form": form}, status=status)


@console_required
@allows_stripe_js
def invoice_pay_new_card(request, invoice_id: int):
    """A new card for this payment: Stripe Elements (or the sandbox's test cards) through a SetupIntent."""
    invoice = _own_invoice(request, invoice_id)
    if (refused := _payable_or_back(request, invoice)) is not None:
        return refused
    attempt = attempt_from(request.GET.get("attempt")) or selectors.payment_next_attempt(invoice_id=invoice.pk)
    try:
        started = payment_method_setup_start(account=request.active_membership.account)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("invoicing-console:invoice-pay", invoice_id=invoice.pk)
    return render(request, "payments/pay/new_card.html", {
        **_page(request, invoice), **new_card_context(started), "attempt": attempt,
        "action": reverse("invoicing-console:invoice-pay-new-done", args=[invoice.pk, started.setup.pk]),
    })


@console_required
@require_POST
def invoice_pay_new_card_done(request, invoice_id: int, setup_id: int):
    """Stripe.js confirmed the card (or a test card was chosen): save it, then charge it."""
    invoice = _own_invoice(request, invoice_id)
    if (refused := _payable_or_back(request, invoice)) is not None:
        return refused
    setup = PaymentSetup.objects.filter(pk=setup_id, account_id=invoice.account_id).first()
    attempt = attempt_from(request.POST.get("attempt"))
    if setup is None or attempt is None:
        raise Http404("No such card setup.")
    try:
        setup, payment = invoice_pay_with_setup(invoice=invoice, setup=setup, attempt=attempt,
                                                test_card=request.POST.get("test_card", ""))
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("invoicing-console:invoice-pay", invoice_id=invoice.pk)
    if payment is None and setup.status == "failed":
        messages.error(request, (setup.failure_message or _("The card was refused.")) + " "
                       + _("Nothing was charged: try another card."))
        return redirect("invoicing-console:invoice-pay", invoice_id=invoice.pk)
    if payment is None and setup.status != "succeeded":
        messages.info(request, _("Your bank has not confirmed the card yet; nothing was charged."))
        return redirect("invoicing-console:invoice-pay", invoice_id=invoice.pk)
    return outcome_redirect(request, payment, **_urls(invoice))
