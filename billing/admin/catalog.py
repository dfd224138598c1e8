"""Finance admin for the catalog: products, plans, plan versions (prices, charges, limits inline), coupons.

Every save goes through a service, so the audit trail and grandfathering hold:
editing a version's prices, charges or limits calls `plan_pricing_change`, which
creates a new version when the current one has subscribers.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from billing.admin.money import (
    MoneyField,
    MoneyFormMixin,
    MoneyShownToViewersMixin,
    TiersField,
    money_column,
    show_money,
    show_unit_price,
)
from billing.errors import BillingError
from billing.models import (
    Coupon,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    PlanVersion,
    Product,
    PromotionCode,
)
from billing.services import (
    coupon_create,
    plan_create,
    plan_pricing_change,
    plan_update,
    product_create,
    promotion_code_create,
)

PLAN_ATTRS = ["name", "description", "product", "interval", "interval_count", "trial_days", "trial_end_behavior",
              "is_public", "is_active", "sort_order", "features", "upgrade_timing", "downgrade_timing",
              "proration_behavior"]


def fail(request, exc: BillingError) -> None:
    detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
    messages.error(request, f"{exc.message} {detail}".strip())


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "created_at"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = product_create(code=obj.code, name=obj.name, description=obj.description)
        obj.pk = created.pk
        obj._state.adding = False


class PlanCreateForm(MoneyFormMixin, forms.ModelForm):
    currency = forms.CharField(max_length=3, initial="USD")
    flat_amount = MoneyField(help_text="Per period, in major units with the currency's digits (49.00, ¥5,000).")
    seat_amount = MoneyField(required=False, help_text="Per seat above the included ones, in major units.")
    included_seats = forms.IntegerField(min_value=-1, initial=1)

    class Meta:
        model = Plan
        fields = ["code", *PLAN_ATTRS]


class PlanVersionInline(admin.TabularInline):
    model = PlanVersion
    extra = 0
    fields = ["version", "included_seats", "max_seats", "note", "created_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "interval", "interval_count", "is_public", "is_active", "sort_order",
                    "current_version"]
    list_filter = ["is_active", "is_public", "interval", "product"]
    search_fields = ["code", "name"]
    inlines = [PlanVersionInline]
    readonly_fields = ["current_pricing"]
    actions = ["archive"]

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: subscriptions, invoices and the audit trail point at plans

    @admin.action(description="Archive the selected plans (no new subscriptions; subscribers keep theirs)",
                  permissions=["change"])
    def archive(self, request, queryset):
        archived = 0
        for plan in queryset.order_by("code"):
            try:
                plan_update(plan=plan, is_active=False, is_public=False)
                archived += 1
            except BillingError as exc:
                fail(request, exc)
        if archived:
            messages.success(request, f"Archived {archived} plan(s).")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PlanCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["code", "currency", "flat_amount", "seat_amount", "included_seats", *PLAN_ATTRS]
        return ["code", *PLAN_ATTRS, "current_pricing"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "current_pricing"] if obj else []

    @admin.display(description="Current version")
    def current_pricing(self, obj):
        version = obj.current_version
        if version is None:
            return "—"
        prices = format_html_join("", "<li>{} flat {} / seat {}</li>", (
            (p.currency, show_money(p.flat_amount, p.currency), show_money(p.seat_amount, p.currency))
            for p in version.prices.all()))
        charges = format_html_join("", "<li>{} {} {} per {} (free {})</li>", (
            (c.metric.code, c.model, show_unit_price(c.unit_price, c.currency), c.block_size, c.free_units)
            for c in version.charges.select_related("metric")))
        limits = format_html_join("", "<li>{}: {} ({}, overage {})</li>", (
            (lim.metric.code, "unlimited" if lim.included == -1 else lim.included, lim.cap_mode,
             "allowed" if lim.overage_allowed else "forbidden") for lim in version.limits.select_related("metric")))
        return format_html('<a href="../../planversion/{}/change/">v{} (edit pricing)</a>'
                           "<ul>{}</ul><ul>{}</ul><ul>{}</ul>", version.pk, version.version, prices, charges, limits)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in PLAN_ATTRS if name in form.cleaned_data}
        if change:
            try:
                plan_update(plan=obj, **data)
            except BillingError as exc:  # e.g. the interval of a plan with live subscribers
                fail(request, exc)
            return
        plan = plan_create(code=form.cleaned_data["code"], included_seats=form.cleaned_data["included_seats"],
                           prices={form.cleaned_data["currency"].upper(): {
                               "flat_amount": form.cleaned_data["flat_amount"],
                               "seat_amount": form.cleaned_data.get("seat_amount")}}, **data)
        obj.pk = plan.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """Versions are read-only here; nothing else to save (the change message reads these)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class PlanPriceForm(MoneyFormMixin, forms.ModelForm):
    flat_amount = MoneyField(help_text="Per period, in major units.")
    seat_amount = MoneyField(required=False, help_text="Per seat above the included ones, in major units.")

    class Meta:
        model = PlanPrice
        fields = ["currency", "flat_amount", "seat_amount"]


class PlanPriceInline(MoneyShownToViewersMixin, admin.TabularInline):
    model = PlanPrice
    form = PlanPriceForm
    extra = 0
    money_columns = {"flat_amount": money_column("flat_amount", description="flat amount"),
                     "seat_amount": money_column("seat_amount", description="seat amount")}


class PlanChargeForm(MoneyFormMixin, forms.ModelForm):
    unit_price = forms.DecimalField(max_digits=20, decimal_places=6, initial=0, help_text=(
        "In major units, up to 6 decimals (0.000001), kept as typed."))
    tiers = TiersField(required=False)

    class Meta:
        model = PlanCharge
        fields = ["metric", "currency", "model", "unit_price", "block_size", "package_size", "free_units", "tiers"]


class PlanChargeInline(admin.TabularInline):
    model = PlanCharge
    form = PlanChargeForm
    extra = 0
    fields = ["metric", "currency", "model", "unit_price", "block_size", "package_size", "free_units", "tiers"]


class PlanLimitInline(admin.TabularInline):
    model = PlanLimit
    extra = 0
    fields = ["metric", "included", "cap_mode", "overage_allowed", "grace_percent", "alert_thresholds"]


def _rows(formset) -> list[dict]:
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE") or not form.has_changed() and form.instance.pk is None:
            continue
        rows.append(data)
    return rows


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    """Saving here is a pricing change of the plan: grandfathered into a new version when subscribed."""

    list_display = ["plan", "version", "included_seats", "max_seats", "note", "created_at"]
    list_filter = ["plan"]
    fields = ["plan", "version", "included_seats", "max_seats", "note"]
    readonly_fields = ["plan", "version"]
    inlines = [PlanPriceInline, PlanChargeInline, PlanLimitInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # versions are the prices subscribers were sold: kept for good

    def save_model(self, request, obj, form, change):
        """Written by save_related, through the service, once the inlines are known."""

    def save_related(self, request, form, formsets, change):
        version = form.instance
        by_model = {fs.model: _rows(fs) for fs in formsets}
        for formset in formsets:  # the admin's change message reads these; the service did the writing
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        prices = {row["currency"].upper(): {"flat_amount": row["flat_amount"], "seat_amount": row["seat_amount"]}
                  for row in by_model.get(PlanPrice, [])}
        charges = [{"metric": row["metric"], "currency": row["currency"].upper(), "model": row["model"],
                    "unit_price": row["unit_price"], "block_size": row["block_size"],
                    "package_size": row["package_size"], "free_units": row["free_units"], "tiers": row["tiers"]}
                   for row in by_model.get(PlanCharge, [])]
        limits = [{"metric": row["metric"], "included": row["included"], "cap_mode": row["cap_mode"],
                   "overage_allowed": row["overage_allowed"], "grace_percent": row["grace_percent"],
                   "alert_thresholds": row["alert_thresholds"]} for row in by_model.get(PlanLimit, [])]
        try:
            new = plan_pricing_change(plan=version.plan, prices=prices, charges=charges, limits=limits,
                                      included_seats=form.cleaned_data["included_seats"],
                                      max_seats=form.cleaned_data["max_seats"], note=form.cleaned_data["note"])
        except BillingError as exc:
            fail(request, exc)
            return
        if new.pk != version.pk:
            messages.info(request, f"Subscribers keep v{version.version}; new subscriptions get v{new.version}.")


class PromotionCodeInline(admin.TabularInline):
    model = PromotionCode
    extra = 0
    fields = ["code", "max_redemptions", "times_redeemed", "expires_at", "is_active"]
    readonly_fields = ["code", "max_redemptions", "times_redeemed", "expires_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CouponForm(MoneyFormMixin, forms.ModelForm):
    amount_off = MoneyField(required=False, allow_zero=False, help_text=(
        "In major units of the currency below (5.00, ¥500); or give a percentage instead."))

    class Meta:
        model = Coupon
        fields = ["code", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_periods", "plans",
                  "max_redemptions", "redeem_by", "is_active"]


COUPON_AMOUNT_OFF = money_column("amount_off", description="amount off")


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "percent_off", COUPON_AMOUNT_OFF, "duration", "duration_in_periods",
                    "times_redeemed", "max_redemptions", "redeem_by", "is_active"]
    list_filter = ["duration", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["plans"]
    inlines = [PromotionCodeInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["times_redeemed"]
        return ["code", "percent_off", COUPON_AMOUNT_OFF, "currency", "duration", "duration_in_periods",
                "times_redeemed"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CouponForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        # Fixed once created: shown formatted in place of the editable amount.
        return [COUPON_AMOUNT_OFF if f == "amount_off" else f for f in fields if f != COUPON_AMOUNT_OFF]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        coupon = coupon_create(code=data["code"], name=data["name"], percent_off=data.get("percent_off"),
                               amount_off=data.get("amount_off"), currency=data.get("currency") or "",
                               duration=data["duration"], duration_in_periods=data.get("duration_in_periods"),
                               plans=list(data.get("plans") or []), max_redemptions=data.get("max_redemptions"),
                               redeem_by=data.get("redeem_by"))
        obj.pk = coupon.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:  # promotion codes are added on their own page; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(PromotionCode)
class PromotionCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "coupon", "times_redeemed", "max_redemptions", "expires_at", "is_active"]
    search_fields = ["code", "coupon__code"]

    def get_readonly_fields(self, request, obj=None):
        return ["coupon", "code", "times_redeemed"] if obj else ["times_redeemed"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        promo = promotion_code_create(coupon=obj.coupon, code=obj.code, max_redemptions=obj.max_redemptions,
                                      expires_at=obj.expires_at)
        obj.pk = promo.pk
        obj._state.adding = False
