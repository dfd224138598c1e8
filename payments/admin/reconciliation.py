"""Reconciliation runs and their discrepancies: repair what the gateway can fix, resolve the rest."""

from __future__ import annotations

from django.contrib import admin

from payments.admin.common import NoteForm, PaymentsAdmin, ask_then, run_each
from payments.models import Discrepancy, ReconciliationRun
from payments.services.reconciliation import discrepancy_repair, discrepancy_resolve


class DiscrepancyInline(admin.TabularInline):
    model = Discrepancy
    extra = 0
    fields = ["kind", "object_type", "gateway_id", "payment", "refund", "currency", "local_amount",
              "gateway_amount", "local_status", "gateway_status", "resolution", "note"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(PaymentsAdmin):
    list_display = ["id", "window_start", "window_end", "trigger", "status", "charges_seen", "refunds_seen",
                    "discrepancy_count", "total_discrepancy", "currency", "alerted", "created_at"]
    list_filter = ["status", "alerted", "trigger"]
    inlines = [DiscrepancyInline]


@admin.register(Discrepancy)
class DiscrepancyAdmin(PaymentsAdmin):
    list_display = ["id", "run", "kind", "object_type", "gateway_id", "account_id", "payment", "currency",
                    "local_amount", "gateway_amount", "local_status", "gateway_status", "resolution"]
    list_filter = ["kind", "object_type", "resolution"]
    search_fields = ["gateway_id", "note"]
    list_select_related = ["run", "payment"]
    actions = ["repair", "resolve"]

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_discrepancy")

    @admin.action(description="Repair from the gateway's data", permissions=["manage"])
    def repair(self, request, queryset):
        run_each(request, queryset, lambda item: discrepancy_repair(discrepancy=item), "Repaired {count}.")

    @admin.action(description="Resolve with a note…", permissions=["manage"])
    def resolve(self, request, queryset):
        return ask_then(self, request, queryset, form_class=NoteForm, title="Resolve", action="resolve",
                        apply=lambda item, data: discrepancy_resolve(discrepancy=item, note=data["note"]))
