"""Exports in the admin: the page /admin/exports/ (a kind and a date range) and an "Export as CSV" list
action on the document admins. Finance viewers may export: reading is all an export does."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from exports.api import range_problems
from exports.streaming import JOURNAL, csv_response, export_response
from exports.tables import TABLES

EXPORT_PERMISSION = "invoicing.view_invoice"


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=[*((k, t.label) for k, t in TABLES.items()),
                                      (JOURNAL, "Accounting journal (double entry, per document)")])
    start = forms.DateField(label="From (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            for name, text in range_problems(data["start"], data["end"]).items():
                self.add_error("end" if name == "to" else "start", text)
        return data


def export_page(request):
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    today = date.today()
    form = ExportForm(request.POST if request.method == "POST" else None,
                      initial={"start": today.replace(day=1), "end": today, "kind": "invoices"})
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return export_response(data["kind"], data["start"], data["end"])
    return TemplateResponse(request, "admin/exports/page.html", {
        **admin.site.each_context(request), "title": "Exports", "form": form, "tables": TABLES.values(),
    })


def _export_action(kind: str):
    table = TABLES[kind]

    def export_selected(modeladmin, request, queryset):
        return csv_response(f"{kind}_selected.csv", table.header, table.rows_of(queryset.order_by("pk")))

    export_selected.allowed_permissions = ("view",)
    export_selected.short_description = "Export the selected rows as CSV"
    export_selected.__name__ = f"export_{kind}_csv"
    return export_selected


def _add_list_actions() -> None:
    """Add the action to each document admin registered by the apps below (they cannot import us)."""
    for kind, table in TABLES.items():
        model_admin = admin.site._registry.get(table.model)
        if model_admin is not None:
            model_admin.actions = [*(model_admin.actions or []), _export_action(kind)]


_add_list_actions()
