"""Console pages: payment methods (added with Stripe.js) and 3-D Secure authentication of a payment.

Mounted inside the console's URL namespace (`payments.console_urls`); the request's
scope is the active account (TenantScopeMiddleware), and every query filters by it too.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.errors import BillingError
from billing.models import MembershipRole
from billing.views import console_required
from payments import conf, selectors
from payments.csp import allows_stripe_js
from payments.gateways import gateway
from payments.models import Payment, PaymentSetup
from payments.pay_flow import TEST_CARDS, authenticate_context, authenticate_finish
from payments.services.methods import (
    payment_method_get,
    payment_method_remove,
    payment_method_set_default,
    payment_method_setup_complete,
    payment_method_setup_start,
)

MANAGERS = (MembershipRole.OWNER, MembershipRole.BILLING_MANAGER)


def _can_manage(request) -> bool:
    return request.active_membership.role in MANAGERS


def _forbidden():
    return HttpResponseForbidden("Only owners and billing managers change payment methods.")


@console_required
def payment_methods(request):
    account = request.active_membership.account
    gw = gateway()
    return render(request, "payments/console/payment_methods.html", {
        "methods": selectors.payment_methods_of(account_id=account.pk), "can_manage": _can_manage(request),
        "offline": gw.offline, "gateway_name": gw.name,
    })


@console_required
@allows_stripe_js
def payment_method_add(request):
    if not _can_manage(request):
        return _forbidden()
    try:
        started = payment_method_setup_start(account=request.active_membership.account)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("console:payment-methods")
    return render(request, "payments/console/payment_method_add.html", {
        "setup": started.setup, "client_secret": started.client_secret, "publishable_key": started.publishable_key,
        "offline": started.offline, "stripe_js_url": conf.settings.STRIPE_JS_URL,
        "test_cards": TEST_CARDS,
    })


def _own_setup(request, setup_id: int) -> PaymentSetup:
    setup = PaymentSetup.objects.filter(pk=setup_id, account_id=request.active_membership.account_id).first()
    if setup is None:
        raise Http404("No such setup.")
    return setup


@console_required
@require_POST
def payment_method_setup_done(request, setup_id: int):
    """Stripe.js confirmed the SetupIntent in the browser (or the sandbox form was sent): record it."""
    if not _can_manage(request):
        return _forbidden()
    setup = _own_setup(request, setup_id)
    try:
        gw = gateway(setup.gateway)
        if gw.offline and request.POST.get("test_card"):
            gw.setup_confirm(setup_id=setup.gateway_id, card=request.POST["test_card"])
        setup = payment_method_setup_complete(setup=setup)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("console:payment-methods")
    if setup.status == "succeeded":
        messages.success(request, f"Added {setup.payment_method}.")
    elif setup.status == "failed":
        messages.error(request, setup.failure_message or "The card was refused.")
    else:
        messages.info(request, "Your bank has not confirmed the card yet; it will appear here once it has.")
    return redirect("console:payment-methods")


@console_required
@require_POST
def payment_method_default(request, method_id: int):
    if not _can_manage(request):
        return _forbidden()
    try:
        method = payment_method_set_default(method=payment_method_get(
            account_id=request.active_membership.account_id, method_id=method_id))
        messages.success(request, f"{method} is now the default.")
    except BillingError as exc:
        messages.error(request, exc.message)
    return redirect("console:payment-methods")


@console_required
@require_POST
def payment_method_delete(request, method_id: int):
    if not _can_manage(request):
        return _forbidden()
    try:
        method = payment_method_remove(method=payment_method_get(
            account_id=request.active_membership.account_id, method_id=method_id))
        messages.success(request, f"Removed {method}.")
    except BillingError as exc:
        messages.error(request, exc.message)
    return redirect("console:payment-methods")


def _own_payment(request, payment_id: int) -> Payment:
    payment = (Payment.objects.filter(pk=payment_id, account_id=request.active_membership.account_id)
               .select_related("invoice").first())
    if payment is None:
        raise Http404("No such payment.")
    return payment


@console_required
@allows_stripe_js
def payment_authenticate(request, payment_id: int):
    """The link of the 'confirm your payment' email and the pay page's next step: Stripe.js runs the bank's
    3-D Secure step."""
    payment = _own_payment(request, payment_id)
    return render(request, "payments/console/payment_authenticate.html", {
        **authenticate_context(request, payment), "base_template": "console/base.html",
        "done_url": reverse("console:payment-authenticate-done", args=[payment.pk]),
        "invoice_url": reverse("invoicing-console:invoice", args=[payment.invoice_id]),
        "methods_url": reverse("console:payment-methods"),
    })


@console_required
@require_POST
def payment_authenticate_done(request, payment_id: int):
    """Stripe.js finished (or the sandbox button was pressed): ask the gateway for the outcome."""
    payment = authenticate_finish(request, _own_payment(request, payment_id))
    return redirect("console:payment-authenticate", payment_id=payment.pk)
