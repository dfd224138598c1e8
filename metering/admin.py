"""Finance admin: metrics, rollups, alerts and corrections (read-mostly), and usage file upload."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path

from billing.admin import ReadOnlyAdmin
from billing.errors import ValidationFailed
from metering.models import BillableMetric, UsageAlert, UsageCorrection, UsageRollup
from metering.services import billable_metric_create, billable_metric_update, usage_file_import
from metering.services.alerts import usage_alert_dismiss
from metering.services.metrics import metric_fields_clean

MAX_SHOWN = 20


class UsageUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, or NDJSON (one event per line).")
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("ndjson", "NDJSON")])


class BillableMetricForm(forms.ModelForm):
    class Meta:
        model = BillableMetric
        fields = ("code", "name", "description", "unit", "aggregation", "field_name", "filters", "group_by", "is_active")

    def clean(self):
        data = super().clean()
        fields = {"aggregation": self.instance.aggregation if self.instance.pk else data.get("aggregation"),
                  "field_name": self.instance.field_name if self.instance.pk else data.get("field_name"),
                  "filters": data.get("filters"), "group_by": data.get("group_by")}
        try:
            metric_fields_clean(fields)
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                self.add_error(name if name in self.fields else None, reasons)
        return data


@admin.register(BillableMetric)
class BillableMetricAdmin(admin.ModelAdmin):
    form = BillableMetricForm
    list_display = ("code", "name", "unit", "aggregation", "field_name", "is_active")
    list_filter = ("aggregation", "is_active")
    search_fields = ("code", "name")
    change_list_template = "admin/metering/billablemetric/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        # Changing what a metric measures would re-rate past periods: make a new metric instead.
        return ("code", "aggregation", "field_name") if obj else ()

    def save_model(self, request, obj, form, change):
        fields = dict(form.cleaned_data)
        if change:
            saved = billable_metric_update(metric=BillableMetric.objects.get(pk=obj.pk),
                                           **{k: v for k, v in fields.items() if k not in self.get_readonly_fields(
                                               request, obj)})
        else:
            saved = billable_metric_create(**fields)
        obj.pk = saved.pk

    def get_urls(self):
        return [path("upload-usage/", self.admin_site.admin_view(self.upload_usage), name="metering_upload_usage"),
                *super().get_urls()]

    def upload_usage(self, request):
        if not request.user.has_perm("metering.change_billablemetric"):
            messages.error(request, "You may not import usage.")
            return redirect("admin:metering_billablemetric_changelist")
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
                return redirect("admin:metering_billablemetric_changelist")
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
