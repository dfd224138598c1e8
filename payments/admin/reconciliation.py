"""Reconciliation runs and their discrepancies: repair what the gateway can fix, resolve the rest."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from billing.admin.confirm import MoneyAction, Preview
from billing.admin.money import fields_with_money, money_column, show_money
from payments.admin.common import NoteForm, PaymentsAdmin, ask_then
from payments.models import Discrepancy, ReconciliationRun
from payments.services.reconciliation import discrepancy_repair, discrepancy_resolve

DISCREPANCY_MONEY = {"local_amount": money_column("local_amount", description="ours"),
                     "gateway_amount": money_column("gateway_amount", description="at the gateway")}


class NothingToTypeForm(forms.Form):
    pass


def _amounts(item: Discrepancy) -> str:
    return (f"ours {show_money(item.local_amount, item.currency)}, "
            f"the gateway's {show_money(item.gateway_amount, item.currency)}")


def _repair_preview(item: Discrepancy, data: dict) -> Preview:
    problem = "" if item.resolution == "open" else "It is already closed."
    target = f"payment #{item.payment_id}" if item.payment_id else f"the {item.object_type} {item.gateway_id}"
    return Preview(f"Repair discrepancy #{item.pk} ({item.get_kind_display().lower()}; {_amounts(item)}): "
                   f"{target} is brought to the gateway's state, amounts and refunds included.", problem)


def _repair(item: Discrepancy, data: dict) -> str:
    done = discrepancy_repair(discrepancy=item)
    return f"Repaired discrepancy #{done.pk} ({_amounts(item)}): {done.note}"


repair_action = MoneyAction(title="Repair from the gateway's data", form_class=NothingToTypeForm,
                            describe=_repair_preview, apply=_repair)


class DiscrepancyInline(admin.TabularInline):
    model = Discrepancy
    extra = 0
    fields = ["kind", "object_type", "gateway_id", "payment", "refund", DISCREPANCY_MONEY["local_amount"],
              DISCREPANCY_MONEY["gateway_amount"], "local_status", "gateway_status", "resolution", "note"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


RUN_MONEY = {"total_discrepancy": money_column("total_discrepancy", description="total discrepancy")}


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(PaymentsAdmin):
    list_display = ["id", "window_start", "window_end", "trigger", "status", "charges_seen", "refunds_seen",
                    "discrepancy_count", RUN_MONEY["total_discrepancy"], "alerted", "created_at"]
    list_filter = ["status", "alerted", "trigger"]
    inlines = [DiscrepancyInline]
    fields = fields_with_money(ReconciliationRun, RUN_MONEY)
    readonly_fields = list(RUN_MONEY.values())


@admin.register(Discrepancy)
class DiscrepancyAdmin(PaymentsAdmin):
    list_display = ["id", "run", "kind", "object_type", "gateway_id", "account_id", "payment",
                    DISCREPANCY_MONEY["local_amount"], DISCREPANCY_MONEY["gateway_amount"], "local_status",
                    "gateway_status", "resolution"]
    list_filter = ["kind", "object_type", "resolution"]
    search_fields = ["gateway_id", "note"]
    list_select_related = ["run", "payment"]
    actions = ["repair", "resolve"]
    fields = fields_with_money(Discrepancy, DISCREPANCY_MONEY)
    readonly_fields = list(DISCREPANCY_MONEY.values())

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_discrepancy")

    @admin.action(description="Repair from the gateway's data…", permissions=["manage"])
    def repair(self, request, queryset):
        return repair_action.run(self, request, queryset)

    @admin.action(description="Resolve with a note…", permissions=["manage"])
    def resolve(self, request, queryset):
        return ask_then(self, request, queryset, form_class=NoteForm, title="Resolve", action="resolve",
                        apply=lambda item, data: discrepancy_resolve(discrepancy=item, note=data["note"]))
