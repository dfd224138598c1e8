"""Finance admin: metrics, rollups, alerts and corrections (read-mostly), and usage file upload."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path

from billing.admin import ReadOnlyAdmin
from billing.errors import BillingError, ValidationFailed
from billing.models import BillableMetric
from billing.units import unit_code_for
from metering.models import UsageAlert, UsageCorrection, UsageRollup
from metering.selectors import metric_archive_blockers, metric_has_usage, metric_plan_codes
from metering.services import (
    billable_metric_archive,
    billable_metric_create,
    billable_metric_update,
    usage_file_import,
)
from metering.services.alerts import usage_alert_dismiss
from metering.services.metrics import MEASURE, metric_fields_clean

MAX_SHOWN = 20


def _fail(request, exc: BillingError) -> None:
    detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
    messages.error(request, f"{exc.message} {detail}".strip())


class UsageUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, or NDJSON (one event per line).")
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("ndjson", "NDJSON")])


class BillableMetricForm(forms.ModelForm):
    class Meta:
        model = BillableMetric
        fields = ("code", "name", "description", "unit", "unit_code", "aggregation", "field_name", "filters", "group_by", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_code"].required = False  # left blank: suggested from the unit (billing/units.py)

    def clean(self):
        data = super().clean()
        existing = self.instance if self.instance.pk else None
        if not data.get("unit_code"):
            data["unit_code"] = unit_code_for(data.get("unit") or "")
        fields = {"unit_code": data["unit_code"],
                  "aggregation": data.get("aggregation", existing.aggregation if existing else None),
                  "field_name": data.get("field_name", existing.field_name if existing else None),
                  "filters": data.get("filters"), "group_by": data.get("group_by")}
        try:
            metric_fields_clean(fields)
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                self.add_error(name if name in self.fields else None, reasons)
        if existing and existing.is_active and data.get("is_active") is False:
            plans = metric_archive_blockers(existing)
            if plans:
                self.add_error("is_active", f"Still used by plan(s) {', '.join(plans)}: archive those first.")
        return data


@admin.register(BillableMetric)
class BillableMetricAdmin(admin.ModelAdmin):
    """Metrics are archived, never deleted: usage, rollups, plans and invoices point at them."""

    form = BillableMetricForm
    list_display = ("code", "name", "unit", "aggregation", "field_name", "is_active")
    list_filter = ("aggregation", "is_active")
    search_fields = ("code", "name")
    change_list_template = "admin/metering/billablemetric/change_list.html"
    actions = ["archive"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Changing what a metric measures would re-rate its usage and the plans using it.
        if metric_plan_codes(obj) or metric_has_usage(obj, raw_events=False):
            return ("code", *MEASURE)
        return ("code",)

    def save_model(self, request, obj, form, change):
        fixed = self.get_readonly_fields(request, obj if change else None)
        fields = {k: v for k, v in form.cleaned_data.items() if k not in fixed}
        try:
            if change:
                saved = billable_metric_update(metric=BillableMetric.objects.get(pk=obj.pk), **fields)
            else:
                saved = billable_metric_create(**fields)
        except BillingError as exc:  # what only the locked re-check finds (a concurrent change, raw usage)
            _fail(request, exc)
            return
        obj.pk = saved.pk

    @admin.action(description="Archive the selected metrics (usage naming them is refused from then on)",
                  permissions=["change"])
    def archive(self, request, queryset):
        archived = 0
        for metric in queryset.order_by("code"):
            try:
                billable_metric_archive(metric=metric)
                archived += 1
            except BillingError as exc:
                _fail(request, exc)
        if archived:
            messages.success(request, f"Archived {archived} metric(s).")

    def get_urls(self):
        return [path("upload-usage/", self.admin_site.admin_view(self.upload_usage), name="metering_upload_usage"),
                *super().get_urls()]

    def upload_usage(self, request):
        if not request.user.has_perm("billing.change_billablemetric"):
            messages.error(request, "You may not import usage.")
            return redirect("admin:billing_billablemetric_changelist")
        form = UsageUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            lines = (line.decode("utf-8") for line in form.cleaned_data["file"])
            try:
                report = usage_file_import(lines=lines, file_format=form.cleaned_data["format"],
                                           source=form.cleaned_data["file"].name)
            except (ValidationFailed, UnicodeDecodeError) as exc:
                messages.error(request, f"Could not import: {exc}")
            else:
                messages.success(request, f"{report.lines} lines: {report.accepted} accepted, "
                                          f"{report.duplicates} duplicates, {len(report.rejected)} rejected.")
                for line, field, reason in report.rejected[:MAX_SHOWN]:
                    messages.warning(request, f"line {line}: {field}: {reason}")
                return redirect("admin:billing_billablemetric_changelist")
        return render(request, "admin/metering/upload_usage.html",
                      {**self.admin_site.each_context(request), "form": form, "title": "Import usage events",
                       "opts": self.model._meta})


@admin.register(UsageRollup)
class UsageRollupAdmin(ReadOnlyAdmin):
    list_display = ("account", "metric", "granularity", "bucket_start", "group_key", "events", "value_sum")
    list_filter = ("granularity", "metric")
    search_fields = ("account__name", "account__external_id")
    date_hierarchy = "bucket_start"


@admin.register(UsageAlert)
class UsageAlertAdmin(ReadOnlyAdmin):
    list_display = ("account", "metric", "threshold_percent", "usage", "limit", "period_start", "fired_at",
                    "emailed_at", "dismissed_at")
    list_filter = ("threshold_percent", "metric")
    search_fields = ("account__name",)
    actions = ["dismiss"]

    @admin.action(description="Hide from the console banner")
    def dismiss(self, request, queryset):
        for alert in queryset:
            usage_alert_dismiss(alert=alert)
        messages.success(request, f"{queryset.count()} alert(s) dismissed.")


@admin.register(UsageCorrection)
class UsageCorrectionAdmin(ReadOnlyAdmin):
    """Usage taken back by operator keys: the event is in the usage; this says who, when and why (request)."""

    list_display = ("account", "metric", "quantity", "timestamp", "actor_label", "recorded_at", "request_id")
    list_filter = ("metric",)
    search_fields = ("account__name", "account__external_id", "idempotency_key", "actor_label")
    date_hierarchy = "recorded_at"
