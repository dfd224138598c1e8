"""The console's plan page (/console/plan/): the public plans side by side with the current one marked; a change of
plan or seats previewed (`subscription_change_preview`: what is charged now and at renewal) before it is confirmed;
the scheduled change with a way to drop it; cancelling at the period end with a reason, and keeping the
subscription after all; resuming a paused one.

Every change is a POST that answers with a redirect (POST-redirect-GET) and calls the same service as the API
(billing/api/subscriptions.py), which holds the rules; owners and billing managers make them, viewers read.
A subscription of another account answers 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.display import Display
from billing.errors import BillingError, InvalidTransition, ValidationFailed
from billing.models import Subscription, SubscriptionStatus
from billing.plan_cards import plan_card, preview_view
from billing.selectors import (
    plan_choosable,
    plans_compared,
    scheduled_change_pending,
    subscription_shown,
    subscriptions_of,
)
from billing.services import (
    subscription_cancel,
    subscription_cancel_undo,
    subscription_change,
    subscription_change_preview,
    subscription_resume,
    subscription_scheduled_change_cancel,
)
from billing.services.customers import billing_profile_currency
from billing.services.subscriptions import CHANGEABLE
from billing.views import MANAGER_ROLES, console_required

CANCEL_REASONS = [
    ("too_expensive", gettext_lazy("It is too expensive")),
    ("missing_features", gettext_lazy("It is missing features I need")),
    ("switching", gettext_lazy("I am switching to another product")),
    ("other", gettext_lazy("Another reason")),
]


class ChangeForm(forms.Form):
    """A plan (its code) and/or a number of seats; the service says what is wrong with them."""

    plan = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=gettext_lazy("Seats"), required=False,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    # The subscription as the preview saw it: a confirmation of a stale preview is not applied.
    seen = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why are you cancelling?"), choices=CANCEL_REASONS,
                               widget=forms.RadioSelect)
    details = forms.CharField(label=gettext_lazy("Tell us more"), required=False, max_length=180,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=gettext_lazy("Required for another reason."))

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not (data.get("details") or "").strip():
            self.add_error("details", _("Say what the reason is."))
        return data

    def reason_text(self) -> str:
        """What the subscription keeps as its cancellation reason (and the audit entry with it)."""
        details = self.cleaned_data["details"].strip()
        return f"{self.cleaned_data['reason']}: {details}" if details else self.cleaned_data["reason"]


def plan_and_seats(plan_name: str, seats: int, d: Display) -> str:
    return ngettext("%(plan)s with %(n)s seat", "%(plan)s with %(n)s seats", seats) % {
        "plan": plan_name, "n": d.number(seats)}


def reason_words(reason: str) -> str:
    """A stored cancellation reason ("switching: to a competitor") as the person chose it."""
    code, _sep, details = reason.partition(": ")
    words = dict(CANCEL_REASONS).get(code)
    return f"{words}: {details}" if words and details else str(words or reason)


def state_of(subscription: Subscription) -> str:
    """The subscription as a preview saw it: plan version, seats and pending change."""
    pending = scheduled_change_pending(subscription_id=subscription.pk)
    return f"{subscription.plan_version_id}:{subscription.quantity}:{pending.pk if pending else 0}"


def subscription_of(request, subscription_id: int) -> Subscription:
    subscription = subscriptions_of(account_id=request.active_membership.account_id).filter(
        pk=subscription_id).first()
    if subscription is None:
        raise Http404("No such subscription.")
    return subscription


def may_change(request) -> bool:
    return request.active_membership.role in MANAGER_ROLES


def refused():
    return HttpResponseForbidden(_("Only owners and billing managers change the plan."))


def render_plan(request, *, seat_form: ChangeForm | None = None, cancel_form: CancelForm | None = None,
                error: str = "", status: int = 200):
    account_id = request.active_membership.account_id
    d = Display.for_request(request)
    subscription = subscription_shown(account_id=account_id)
    currency = subscription.currency if subscription else billing_profile_currency(account_id=account_id)
    cards = [plan_card(plan, version, currency=currency, d=d,
                       current=subscription is not None and plan.pk == subscription.plan_id)
             for plan, version in plans_compared(current=subscription)]
    current_card = next((card for card in cards if card.current), None)
    pending = scheduled_change_pending(subscription_id=subscription.pk) if subscription else None
    context = {
        "subscription": subscription, "currency": currency, "cards": cards, "current_card": current_card, "error": error,
        "may_change": may_change(request),
        "changeable": subscription is not None and subscription.status in CHANGEABLE,
        "paused": subscription is not None and subscription.status == SubscriptionStatus.PAUSED,
        "cancelable": subscription is not None and subscription.status not in (
            SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED, SubscriptionStatus.INCOMPLETE),
        "period": d.period(subscription.current_period_start, subscription.current_period_end) if subscription else "",
        "period_end": d.day(subscription.current_period_end) if subscription else "",
        "paused_on": d.day(subscription.paused_at) if subscription and subscription.paused_at else "",
        "pending": pending, "pending_on": d.day(pending.effective_at) if pending else "",
        "pending_terms": plan_and_seats(pending.plan_version.plan.name, pending.quantity or subscription.quantity, d)
        if pending and pending.plan_version else "",
        "seat_form": seat_form or ChangeForm(initial={"quantity": subscription.quantity if subscription else 1},
                                             auto_id="seats_%s"),
        "cancel_form": cancel_form or CancelForm(),
        "cancel_reason": reason_words(subscription.cancel_reason) if subscription else "",
    }
    return render(request, "billing/console/plan.html", context, status=status)


@console_required
@require_GET
def plan(request):
    return render_plan(request)


def _change_args(subscription: Subscription, form: ChangeForm) -> dict:
    """The service's arguments from the form: a plan other than the current one, and the seats if given."""
    code = form.cleaned_data["plan"]
    args = {}
    if code and code != subscription.plan.code:
        args["plan"] = plan_choosable(code=code)
        if args["plan"] is None:
            raise ValidationFailed({"plan": _("There is no plan %(code)s to choose.") % {"code": code}})
    if form.cleaned_data["quantity"] is not None:
        args["quantity"] = form.cleaned_data["quantity"]
    return args


def _form_error(request, form: ChangeForm, exc: BillingError):
    """A change the service refused: back on the plan page, with the seats typed and the reason by the field."""
    for name, reasons in exc.fields.items():
        form.add_error("quantity" if name == "quantity" else None, reasons)
    if not exc.fields:
        form.add_error(None, exc.message)
    said = [*form.non_field_errors(), *form.errors.get("quantity", [])]
    return render_plan(request, seat_form=form, error=" ".join(said), status=exc.status)


@console_required
@require_http_methods(["GET", "POST"])
def plan_change(request, subscription_id: int):
    """GET: the preview of a change (from "Choose" or the seats form); POST: its confirmation."""
    subscription = subscription_of(request, subscription_id)
    if not may_change(request):
        return refused()
    form = ChangeForm(request.POST if request.method == "POST" else request.GET, auto_id="seats_%s")
    if not form.is_valid():  # said at the top too: the seats field is not on the page when seats are not sold
        return render_plan(request, seat_form=form, status=400,
                           error=" ".join(str(reason) for reasons in form.errors.values() for reason in reasons))
    try:
        args = _change_args(subscription, form)
        if request.method == "GET":
            change = subscription_change_preview(subscription=subscription, **args)
    except BillingError as exc:
        if request.method == "POST" and _already_made(subscription, form):
            return _done(request, _("This change was already made."))
        return _form_error(request, form, exc)
    if request.method == "POST":
        return _confirm(request, subscription, form, args)
    d = Display.for_request(request)
    return render(request, "billing/console/plan_preview.html", {
        "subscription": subscription, "change": change, "view": preview_view(change, d),
        "terms_now": plan_and_seats(subscription.plan.name, subscription.quantity, d),
        "terms_after": plan_and_seats(change.new_plan_version.plan.name, change.new_quantity, d),
        "new_plan": change.new_plan_version.plan, "form": form, "seen": state_of(subscription),
        "plan_code": change.new_plan_version.plan.code, "quantity": change.new_quantity,
    })


def _already_made(subscription: Subscription, form: ChangeForm) -> bool:
    """Whether the subscription already is (or is scheduled to be) what this confirmation asks for."""
    subscription.refresh_from_db()
    code = form.cleaned_data["plan"] or subscription.plan.code
    quantity = form.cleaned_data["quantity"] or subscription.quantity
    pending = scheduled_change_pending(subscription_id=subscription.pk)
    if pending is not None and pending.plan_version is not None:
        return (pending.plan_version.plan.code, pending.quantity) == (code, quantity)
    return (subscription.plan.code, subscription.quantity) == (code, quantity)


def _done(request, message: str):
    messages.success(request, message)
    return redirect("console:plan")


def _confirm(request, subscription: Subscription, form: ChangeForm, args: dict):
    if form.cleaned_data["seen"] != state_of(subscription):
        if _already_made(subscription, form):  # the same confirmation sent twice
            return _done(request, _("This change was already made."))
        messages.warning(request, _("Your subscription changed since this preview: here is the new one."))
        query = {k: v for k, v in (("plan", form.cleaned_data["plan"]), ("quantity", form.cleaned_data["quantity"]))
                 if v not in (None, "")}
        return redirect(reverse("console:plan-change", args=[subscription.pk]) + "?" + urlencode(query))
    try:
        change = subscription_change(subscription=subscription, **args)
    except BillingError as exc:
        if _already_made(subscription, form):
            return _done(request, _("This change was already made."))
        return _form_error(request, form, exc)
    d = Display.for_request(request)
    terms = plan_and_seats(change.new_plan_version.plan.name, change.new_quantity, d)
    if change.timing == "immediate":
        return _done(request, _("Your subscription is now on %(terms)s.") % {"terms": terms})
    return _done(request, _("%(terms)s starts on %(day)s.") % {"terms": terms, "day": d.day(change.effective_at)})


def _state_action(request, subscription_id: int, action, done: str):
    """A POST that moves the subscription (drop the scheduled change, keep it, resume): sent twice, the second
    finds nothing left to do and says so (the page then shows the subscription as it is)."""
    subscription = subscription_of(request, subscription_id)
    if not may_change(request):
        return refused()
    try:
        action(subscription=subscription)
    except InvalidTransition as exc:
        messages.info(request, exc.message)
        return redirect("console:plan")
    return _done(request, done)


@console_required
@require_POST
def plan_scheduled_change_cancel(request, subscription_id: int):
    return _state_action(request, subscription_id, subscription_scheduled_change_cancel,
                         _("The scheduled change was cancelled; your plan stays as it is."))


@console_required
@require_POST
def plan_cancel_undo(request, subscription_id: int):
    return _state_action(request, subscription_id, subscription_cancel_undo,
                         _("Your subscription continues: it will renew as usual."))


@console_required
@require_POST
def plan_resume(request, subscription_id: int):
    return _state_action(request, subscription_id, subscription_resume, _("Your subscription is active again."))


@console_required
@require_POST
def plan_cancel(request, subscription_id: int):
    subscription = subscription_of(request, subscription_id)
    if not may_change(request):
        return refused()
    form = CancelForm(request.POST)
    if not form.is_valid():
        return render_plan(request, cancel_form=form, status=400)
    try:
        subscription = subscription_cancel(subscription=subscription, at_period_end=True, reason=form.reason_text())
    except InvalidTransition as exc:
        messages.info(request, exc.message)
        return redirect("console:plan")
    except BillingError as exc:
        form.add_error(None, exc.message)
        return render_plan(request, cancel_form=form, status=exc.status)
    return _done(request, _("Your subscription ends on %(day)s. You can keep it until then.") % {
        "day": Display.for_request(request).day(subscription.current_period_end)})
