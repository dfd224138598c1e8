"""What the console's pay pages and the hosted invoice page share: the pay form, the new-card form's context,
where each outcome of a payment leads (paid, declined, waiting for the bank), and the 3-D Secure step.

View helpers only: every write is a service (payments/services/paying.py, charging.py).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.display import Display
from billing.errors import BillingError
from payments import conf
from payments.gateways import PaymentStatus as Outcome
from payments.gateways import gateway
from payments.models import ACTIVE_STATUSES, Payment, PaymentStatus
from payments.services.charging import payment_apply_result, payment_resume
from payments.services.methods import SetupStarted

NEW_CARD = "new"
TEST_CARDS = [("visa", gettext_lazy("Visa •••• 4242 (succeeds)")),
              ("declined", gettext_lazy("Visa •••• 0002 (declined on charge)")),
              ("3ds", gettext_lazy("Visa •••• 3220 (asks for 3-D Secure)"))]


def method_label(method) -> str:
    words = f"{(method.brand or method.type).title()} •••• {method.last4}"
    if method.exp_month:
        words += " " + _("expires %(month)02d/%(year)s") % {"month": method.exp_month, "year": method.exp_year}
    return words + (" " + _("(default)") if method.is_default else "")


class PayForm(forms.Form):
    """Which card pays, and the attempt this form was drawn for (the key that makes a resend harmless)."""

    method = forms.ChoiceField(label=gettext_lazy("Pay with"), widget=forms.RadioSelect)
    attempt = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(m.pk), method_label(m)) for m in methods] + [(NEW_CARD, _("A new card"))]
        self.fields["method"].choices = choices
        self.fields["method"].initial = choices[0][0]


def attempt_from(value) -> int | None:
    try:
        attempt = int(value)
    except (TypeError, ValueError):
        return None
    return attempt if attempt >= 1 else None


def new_card_context(started: SetupStarted) -> dict:
    return {"setup": started.setup, "client_secret": started.client_secret,
            "publishable_key": started.publishable_key, "offline": started.offline,
            "stripe_js_url": conf.settings.STRIPE_JS_URL, "test_cards": TEST_CARDS}


def outcome_redirect(request, payment: Payment | None, *, done_url: str, retry_url: str, authenticate_url):
    """Post/Redirect/Get after a pay form: paid -> the invoice; waiting for the bank -> the 3-D Secure page;
    declined -> the pay page again, saying what to do."""
    display = Display.for_request(request)
    if payment is None:
        messages.info(request, _("There is nothing left to pay on this invoice."))
        return redirect(done_url)
    amount = display.money(payment.amount, payment.currency)
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, _("Thank you: %(amount)s paid.") % {"amount": amount})
        return redirect(done_url)
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return redirect(authenticate_url(payment))
    if payment.status in ACTIVE_STATUSES:
        messages.info(request, _("Your payment of %(amount)s is being processed; the invoice shows it as paid "
                                 "once your bank confirms.") % {"amount": amount})
        return redirect(done_url)
    reason = payment.failure_message or _("The payment did not go through.")
    messages.error(request, _("%(reason)s Nothing was charged: try another card, or check the card's details "
                              "with your bank.") % {"reason": reason})
    return redirect(retry_url)


def authenticate_context(request, payment: Payment) -> dict:
    """The 3-D Secure page: what is paid, and Stripe.js's client secret while the bank waits (a payment that
    was settled meanwhile is brought up to date first)."""
    client_secret = ""
    if payment.status == PaymentStatus.REQUIRES_ACTION and payment.gateway_payment_id:
        try:
            remote = gateway(payment.gateway).payment_retrieve(payment.gateway_payment_id)
        except BillingError as exc:
            messages.error(request, exc.message)
            remote = None
        if remote is not None and remote.status != Outcome.REQUIRES_ACTION:
            payment = payment_apply_result(payment=payment, result=remote)  # done meanwhile
        elif remote is not None:
            client_secret = remote.client_secret
    gw = gateway(payment.gateway)
    return {"payment": payment, "client_secret": client_secret, "publishable_key": gw.publishable_key,
            "offline": gw.offline, "stripe_js_url": conf.settings.STRIPE_JS_URL,
            "amount": Display.for_request(request).money(payment.amount, payment.currency),
            "invoice_number": payment.invoice.number or payment.invoice_id}


def authenticate_finish(request, payment: Payment) -> Payment:
    """Stripe.js finished (or the sandbox button was pressed): ask the gateway for the outcome and say it."""
    if payment.status in ACTIVE_STATUSES:
        gw = gateway(payment.gateway)
        try:
            if gw.offline and payment.gateway_payment_id:
                gw.payment_authenticate(payment_id=payment.gateway_payment_id,
                                        success=request.POST.get("outcome") != "fail")
            payment = payment_resume(payment=payment)
        except BillingError as exc:
            messages.error(request, exc.message)
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, _("Thank you: the payment is confirmed."))
    elif payment.status in ACTIVE_STATUSES:
        messages.info(request, _("The payment is not confirmed yet."))
    else:
        messages.error(request, payment.failure_message or _("The payment did not go through."))
    return payment
