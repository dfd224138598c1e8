"""Finance admin for subscriptions (history and actions through services), billing profiles and credits."""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html_join

from billing import clock
from billing.admin.catalog import fail
from billing.admin.confirm import CONFIRM, MoneyAction, Preview, error_text
from billing.admin.money import (
    MoneyField,
    MoneyFormMixin,
    MoneyShownToViewersMixin,
    TiersField,
    fields_with_money,
    money_column,
    show_money,
)
from billing.context import giving_reason
from billing.errors import BillingError
from billing.models import (
    AuditEntry,
    BillingProfile,
    CollectionMethod,
    CreditEntry,
    Plan,
    ProrationItem,
    ScheduledChange,
    Subscription,
    SubscriptionDiscount,
    SubscriptionMetricOverride,
)
from billing.models.catalog import ChangeTiming
from billing.models.subscriptions import SubscriptionStatus
from billing.selectors import credit_balance
from billing.services import (
    billing_profile_update,
    credit_grant,
    subscription_cancel,
    subscription_cancel_undo,
    subscription_change,
    subscription_change_preview,
    subscription_collection_method_set,
    subscription_overrides_set,
    subscription_pause,
    subscription_resume,
    subscription_trial_end,
)
from billing.services.customers import PROFILE_FIELDS


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProrationItemInline(ReadOnlyInline):
    model = ProrationItem
    fields = ["kind", "description", money_column("amount"), money_column("full_amount", description="whole period"),
              "period_start", "period_end", "proration_factor", "bill_immediately", "invoiced_at"]
    readonly_fields = fields


class ScheduledChangeInline(ReadOnlyInline):
    model = ScheduledChange
    fields = ["plan_version", "quantity", "effective_at", "status", "created_at"]
    readonly_fields = fields


class DiscountInline(ReadOnlyInline):
    model = SubscriptionDiscount
    fields = ["coupon", "promotion_code", "periods_total", "periods_used", "status", "started_at", "ended_at"]
    readonly_fields = fields


class OverrideForm(MoneyFormMixin, forms.ModelForm):
    unit_price = forms.DecimalField(max_digits=20, decimal_places=6, required=False, help_text=(
        "In major units of the subscription's currency, up to 6 decimals, kept as typed."))
    tiers = TiersField(required=False)
    currency_field = "subscription.currency"

    class Meta:
        model = SubscriptionMetricOverride
        fields = ["metric", "charge_model", "unit_price", "block_size", "package_size", "free_units", "tiers",
                  "included", "cap_mode", "overage_allowed"]


class OverrideInline(admin.TabularInline):
    """An enterprise deal's own charge or limit per metric; saved through `subscription_overrides_set`."""

    model = SubscriptionMetricOverride
    form = OverrideForm
    extra = 0
    fields = ["metric", "charge_model", "unit_price", "block_size", "package_size", "free_units", "tiers",
              "included", "cap_mode", "overage_allowed"]


OVERRIDE_FIELDS = ["flat_amount_override", "seat_amount_override", "included_seats_override"]


class SubscriptionDealForm(MoneyFormMixin, forms.ModelForm):
    """The deal's own prices, typed in major units of the subscription's currency."""

    flat_amount_override = MoneyField(required=False, label="Flat amount override", help_text=(
        "Per period, in major units of the subscription's currency; empty: the plan's price."))
    seat_amount_override = MoneyField(required=False, label="Seat amount override", help_text=(
        "Per seat, in major units; empty: the plan's price."))

    class Meta:
        model = Subscription
        fields = OVERRIDE_FIELDS


class PlanChangeForm(forms.Form):
    plan = forms.ModelChoiceField(Plan.objects.filter(is_active=True), required=False,
                                  help_text="Empty: keep the plan, change the seats.")
    quantity = forms.IntegerField(min_value=1, required=False, help_text="Seats; empty: keep them.")
    timing = forms.ChoiceField(choices=[("", "plan default"), *ChangeTiming.choices], required=False)

    def clean(self):
        data = super().clean()
        if data.get("plan") is None and data.get("quantity") is None and not self.errors:
            raise forms.ValidationError("Choose a plan or a quantity.")
        return data


def _change_preview(sub: Subscription, data: dict) -> Preview:
    try:
        change = subscription_change_preview(subscription=sub, plan=data.get("plan"), quantity=data.get("quantity"),
                                             timing=data.get("timing") or None)
    except BillingError as exc:
        return Preview(f"Change {sub}", error_text(exc))
    money = functools.partial(show_money, currency=sub.currency)
    target = f"{change.new_plan_version.plan.name} ×{change.new_quantity}"
    if change.timing == ChangeTiming.PERIOD_END:
        return Preview(f"Change {sub} ({sub.account}) from {sub.plan.name} ×{sub.quantity} to {target} at the end of "
                       f"the period ({change.effective_at:%Y-%m-%d}); from then it renews at "
                       f"{money(change.next_renewal_amount)}. Nothing is charged now.")
    prorations = "; ".join(f"{line.description} {money(line.amount)}" for line in change.proration) or "none"
    billed = (f"invoiced now: {money(change.amount_due_now)}" if change.amount_due_now
              else f"net {money(change.proration_total)} on the next invoice" if change.proration else "nothing to bill")
    return Preview(f"Change {sub} ({sub.account}) from {sub.plan.name} ×{sub.quantity} to {target} now. "
                   f"Prorations: {prorations} ({billed}). Next renewal "
                   f"{change.next_renewal_at:%Y-%m-%d}: {money(change.next_renewal_amount)}.")


def _change(sub: Subscription, data: dict) -> str:
    change = subscription_change(subscription=sub, plan=data.get("plan"), quantity=data.get("quantity"),
                                 timing=data.get("timing") or None)
    money = functools.partial(show_money, currency=sub.currency)
    when = "at the period end" if change.timing == ChangeTiming.PERIOD_END else "now"
    return (f"Changed {sub} to {change.new_plan_version.plan.name} ×{change.new_quantity} {when}: prorations "
            f"{money(change.proration_total)}, next renewal {money(change.next_renewal_amount)}.")


plan_change_action = MoneyAction(title="Change plan or seats", form_class=PlanChangeForm, describe=_change_preview,
                                 apply=_change)


def _cancel_preview(at_period_end: bool):
    def describe(sub: Subscription, data: dict) -> Preview:
        problem = ""
        if sub.status == SubscriptionStatus.CANCELED:
            problem = f"{sub} is already canceled."
        elif at_period_end and sub.cancel_at_period_end:
            problem = f"{sub} is already set to cancel at period end."
        end = f"{sub.current_period_end:%Y-%m-%d}" if sub.current_period_end else "—"
        if at_period_end:
            text = (f"Cancel {sub} ({sub.account}, {sub.plan.name} ×{sub.quantity}) at the end of its period ({end}): "
                    f"status stays {sub.status} until then, then canceled; the period already billed is kept, no "
                    "renewal is billed after it. Undoable until then.")
        else:
            text = (f"Cancel {sub} ({sub.account}, {sub.plan.name} ×{sub.quantity}) now: status {sub.status} → "
                    f"canceled; the period that ends {end} is not refunded (issue a credit note for that) and nothing "
                    "more is billed.")
        return Preview(text, problem)
    return describe


def _cancel(at_period_end: bool):
    def apply(sub: Subscription, data: dict) -> str:
        done = subscription_cancel(subscription=sub, at_period_end=at_period_end, reason=data["reason"])
        return (f"{done} will cancel at period end." if done.cancel_at_period_end
                else f"Canceled {done} ({done.status}).")
    return apply


cancel_at_period_end_action = MoneyAction(title="Cancel at period end", form_class=forms.Form,
                                          describe=_cancel_preview(True), apply=_cancel(True))
cancel_now_action = MoneyAction(title="Cancel now", form_class=forms.Form, describe=_cancel_preview(False),
                                apply=_cancel(False))


ACCOUNT_DEFAULT = "account"
APOSTROPHE = "'"


class CollectionMethodForm(forms.Form):
    collection_method = forms.ChoiceField(
        choices=[(ACCOUNT_DEFAULT, "The account's own (its billing profile)"), *CollectionMethod.choices],
        help_text="How this subscription's next invoices are collected.")


def _collection_preview(sub: Subscription, data: dict) -> Preview:
    now = (sub.metadata or {}).get("collection_method") or ACCOUNT_DEFAULT
    wanted = data.get("collection_method") or ACCOUNT_DEFAULT
    label = dict(CollectionMethodForm.base_fields["collection_method"].choices)
    problem = f"{sub} is collected that way already." if now == wanted else ""
    if sub.status == SubscriptionStatus.CANCELED:
        problem = f"{sub} is canceled: it has no next invoice."
    return Preview(f"Collect the next invoices of {sub} ({sub.account}, {sub.plan.name}): {label[now]} → "
                   f"{label[wanted]}. Invoices already finalized keep theirs.", problem)


def _collection_set(sub: Subscription, data: dict) -> str:
    wanted = data["collection_method"]
    done = subscription_collection_method_set(subscription=sub,
                                              collection_method=None if wanted == ACCOUNT_DEFAULT else wanted)
    return f"{done}: {(done.metadata or {}).get('collection_method') or 'the account' + APOSTROPHE + 's own'}."


collection_method_action = MoneyAction(title="Set how invoices are collected", form_class=CollectionMethodForm,
                                       describe=_collection_preview, apply=_collection_set)


@admin.register(Subscription)
class SubscriptionAdmin(MoneyShownToViewersMixin, admin.ModelAdmin):
    list_display = ["id", "account", "plan", "plan_version", "status", "quantity", "currency",
                    "current_period_end", "cancel_at_period_end"]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    search_fields = ["account__name", "account__external_id", "plan__code"]
    date_hierarchy = "current_period_end"
    inlines = [ScheduledChangeInline, ProrationItemInline, DiscountInline, OverrideInline]
    form = SubscriptionDealForm
    money_columns = {name: money_column(name, description=name.replace("_", " "))
                     for name in ("flat_amount_override", "seat_amount_override")}
    actions = ["cancel_at_period_end", "cancel_now", "undo_cancel", "pause", "resume", "end_trial",
               "change_plan", "set_collection_method"]
    readonly_fields = ["history"]

    def has_add_permission(self, request):
        return False  # subscriptions are created through the API or the console

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Subscription._meta.concrete_fields
                if f.name != "id" and f.name not in OVERRIDE_FIELDS] + ["history"] + super().get_readonly_fields(
                    request, obj)

    def save_model(self, request, obj, form, change):
        """Written by save_related, through the service, once the metric overrides are known."""

    def save_related(self, request, form, formsets, change):
        """Overrides replace the deal as a whole: the three amounts above and the rows below."""
        metrics = []
        changed = form.has_changed()
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is not SubscriptionMetricOverride:
                continue
            for row_form in formset.forms:
                changed = changed or row_form.has_changed()
                data = getattr(row_form, "cleaned_data", None)
                if not data or data.get("DELETE") or not data.get("metric"):
                    continue
                metrics.append({"metric": data["metric"], **{
                    name: data.get(name) for name in OverrideInline.fields[1:] if data.get(name) not in ("", None)}})
        if not changed:
            return
        data = form.cleaned_data
        try:
            subscription_overrides_set(subscription=form.instance, clear=True, metrics=metrics,
                                       flat_amount=data.get("flat_amount_override"),
                                       seat_amount=data.get("seat_amount_override"),
                                       included_seats=data.get("included_seats_override"))
        except BillingError as exc:
            fail(request, exc)

    @admin.display(description="History")
    def history(self, obj):
        entries = AuditEntry.objects.filter(object_type="billing.subscription", object_id=str(obj.pk)).order_by(
            "created_at", "id")
        return format_html_join("", "<div>{} — {} by {}</div>", (
            (e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.action, e.actor_label or e.actor_type) for e in entries))

    def _each(self, request, queryset, label, func):
        done = 0
        for sub in queryset:
            try:
                func(sub)
                done += 1
            except BillingError as exc:
                fail(request, exc)
        if done:
            messages.success(request, f"{label}: {done} subscription(s).")

    @admin.action(description="Cancel at period end…", permissions=["change"])
    def cancel_at_period_end(self, request, queryset):
        return cancel_at_period_end_action.run(self, request, queryset.select_related("plan", "account"))

    @admin.action(description="Cancel now…", permissions=["change"])
    def cancel_now(self, request, queryset):
        return cancel_now_action.run(self, request, queryset.select_related("plan", "account"))

    @admin.action(description="Undo a scheduled cancellation", permissions=["change"])
    def undo_cancel(self, request, queryset):
        self._each(request, queryset, "Kept", lambda s: subscription_cancel_undo(subscription=s))

    @admin.action(description="Pause (no billing)", permissions=["change"])
    def pause(self, request, queryset):
        self._each(request, queryset, "Paused", lambda s: subscription_pause(subscription=s))

    @admin.action(description="Resume", permissions=["change"])
    def resume(self, request, queryset):
        self._each(request, queryset, "Resumed", lambda s: subscription_resume(subscription=s))

    @admin.action(description="End trial now", permissions=["change"])
    def end_trial(self, request, queryset):
        self._each(request, queryset, "Trial ended", lambda s: subscription_trial_end(subscription=s))

    @admin.action(description="Change plan or seats…", permissions=["change"])
    def change_plan(self, request, queryset):
        return plan_change_action.run(self, request, queryset.select_related("plan", "account"))

    @admin.action(description="Set how invoices are collected…", permissions=["change"])
    def set_collection_method(self, request, queryset):
        return collection_method_action.run(self, request, queryset.select_related("plan", "account"))


class BillingProfileInline(admin.StackedInline):
    """Saved through `billing_profile_update` (audited, currency fixed once invoiced)."""

    model = BillingProfile
    extra = 0
    max_num = 1
    can_delete = False
    fields = list(PROFILE_FIELDS) + ["currency_locked_at"]
    readonly_fields = ["currency_locked_at"]


def save_billing_profile(request, account, formset) -> None:
    # Saved through the service, not formset.save(): tell the admin's change message so.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not form.has_changed():
            continue
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in PROFILE_FIELDS}
        try:
            billing_profile_update(account=account, **changes)
        except BillingError as exc:
            fail(request, exc)


class CreditGrantForm(MoneyFormMixin, forms.ModelForm):
    amount = MoneyField(allow_zero=False, help_text="In major units of the currency below (10.00, ¥1,000, 1.250).")
    reason = forms.CharField(max_length=200)

    class Meta:
        model = CreditEntry
        fields = ["account", "amount", "currency", "reason", "expires_at"]

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= clock.now():
            raise forms.ValidationError("Must be in the future.")
        return expires_at


CREDIT_AMOUNT = money_column("amount")


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: finance adds grants, after confirming them; nothing is edited or deleted."""

    list_display = ["created_at", "account", "kind", CREDIT_AMOUNT, "reason", "expires_at", "reference"]
    list_filter = ["kind", "currency"]
    search_fields = ["account__name", "reason", "reference"]
    form = CreditGrantForm

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        return fields_with_money(CreditEntry, {"amount": CREDIT_AMOUNT}, editable_only=False)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def add_view(self, request, form_url="", extra_context=None):
        """A valid grant is shown with its amount and the balance it makes before it is written."""
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.get_form(request, None)(request.POST)
        if not form.is_valid():
            return super().add_view(request, form_url, extra_context)  # the admin's form, with its errors
        data = form.cleaned_data
        if CONFIRM in request.POST:
            try:
                with giving_reason(data["reason"]):
                    entry = credit_grant(account=data["account"], amount=data["amount"], currency=data["currency"],
                                         reason=data["reason"], expires_at=data.get("expires_at"))
            except BillingError as exc:
                return self._confirmation(request, form, problem=error_text(exc))
            self.log_addition(request, entry, [{"added": {}}])
            messages.success(request, f"Granted {show_money(entry.amount, entry.currency)} of credit to "
                                      f"{entry.account} ({entry.reason}).")
            return redirect("admin:billing_creditentry_changelist")
        return self._confirmation(request, form)

    def _confirmation(self, request, form, problem: str = "") -> TemplateResponse:
        data = form.cleaned_data
        currency = data["currency"].upper()
        balance = credit_balance(account_id=data["account"].pk).get(currency, 0)
        expiry = f", expiring {data['expires_at']:%Y-%m-%d %H:%M %Z}" if data.get("expires_at") else ""
        text = (f"Grant {show_money(data['amount'], currency)} of credit to {data['account']}{expiry}: its {currency} "
                f"credit balance goes {show_money(balance, currency)} → {show_money(balance + data['amount'], currency)}"
                f", drawn by its next {currency} invoices after tax. Reason: {data['reason']}")
        return TemplateResponse(request, "admin/money_add_confirm.html", {
            **self.admin_site.each_context(request), "title": "Grant credit", "opts": self.model._meta,
            "form": form, "preview": text, "problem": problem})
