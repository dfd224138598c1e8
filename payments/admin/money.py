"""Payments (with refund actions), refunds, disputes and dunning per account."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from payments.admin.common import PaymentsAdmin, ask_then, run_each
from payments.models import AccountDunning, Dispute, DunningCase, Payment, Refund
from payments.services.charging import payment_mark_received, payment_resume
from payments.services.dunning import dunning_pause, dunning_resume
from payments.services.refunds import refund_create


class RefundForm(forms.Form):
    amount = forms.IntegerField(min_value=1, required=False,
                                help_text="Minor units (cents). Empty: everything that is left.")
    reason = forms.CharField(max_length=200, required=False)


class PauseForm(forms.Form):
    note = forms.CharField(max_length=300, help_text="Why dunning stops for this account.")


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = ["amount", "currency", "status", "reason", "reference", "gateway_refund_id", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(PaymentsAdmin):
    list_display = ["id", "reference", "account", "invoice_id", "amount", "currency", "status", "attempt",
                    "gateway", "failure_code", "amount_refunded", "created_at"]
    list_filter = ["status", "gateway", "failure_code"]
    search_fields = ["reference", "gateway_payment_id", "gateway_charge_id", "account__name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]
    actions = ["refund", "check_now", "mark_received"]

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_payment")

    @admin.action(description="Refund (full or partial)…", permissions=["manage"])
    def refund(self, request, queryset):
        return ask_then(self, request, queryset, form_class=RefundForm, title="Refund", action="refund",
                        apply=lambda payment, data: refund_create(payment=payment, amount=data.get("amount"),
                                                                  reason=data.get("reason") or ""))

    @admin.action(description="Ask the gateway now (pending payments)", permissions=["manage"])
    def check_now(self, request, queryset):
        run_each(request, queryset, lambda payment: payment_resume(payment=payment), "Checked {count} payment(s).")

    @admin.action(description="Confirm the bank transfer arrived (manual gateway)", permissions=["manage"])
    def mark_received(self, request, queryset):
        run_each(request, queryset, lambda payment: payment_mark_received(payment=payment),
                 "Recorded {count} payment(s).")


@admin.register(Refund)
class RefundAdmin(PaymentsAdmin):
    list_display = ["id", "reference", "account", "payment", "amount", "currency", "status", "credit_note_id",
                    "created_at"]
    list_filter = ["status"]
    search_fields = ["reference", "gateway_refund_id", "account__name"]
    list_select_related = ["account", "payment"]


@admin.register(Dispute)
class DisputeAdmin(PaymentsAdmin):
    list_display = ["id", "gateway_dispute_id", "account", "payment", "amount", "currency", "reason",
                    "gateway_status", "outcome", "evidence_due_by", "created_at", "closed_at"]
    list_filter = ["outcome", "reason"]
    search_fields = ["gateway_dispute_id", "account__name"]
    list_select_related = ["account", "payment"]


@admin.register(DunningCase)
class DunningCaseAdmin(PaymentsAdmin):
    list_display = ["id", "account", "invoice", "status", "failures", "retries_done", "next_retry_at",
                    "last_failure_code", "final_action", "account_paused"]
    list_filter = ["status", "final_action"]
    search_fields = ["account__name"]
    list_select_related = ["account", "invoice"]
    actions = ["pause", "resume"]

    @admin.display(boolean=True, description="paused")
    def account_paused(self, case):
        return AccountDunning.objects.filter(account_id=case.account_id, paused=True).exists()

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_accountdunning")

    @admin.action(description="Pause dunning for these accounts…", permissions=["manage"])
    def pause(self, request, queryset):
        return ask_then(self, request, queryset, form_class=PauseForm, title="Pause dunning", action="pause",
                        apply=lambda case, data: dunning_pause(account=case.account, note=data["note"]))

    @admin.action(description="Resume dunning for these accounts", permissions=["manage"])
    def resume(self, request, queryset):
        run_each(request, queryset, lambda case: dunning_resume(account=case.account),
                 "Dunning resumed for {count} case(s).")


@admin.register(AccountDunning)
class AccountDunningAdmin(PaymentsAdmin):
    list_display = ["account", "paused", "paused_at", "note", "updated_at"]
    list_filter = ["paused"]
    search_fields = ["account__name"]
    actions = ["resume"]

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_accountdunning")

    @admin.action(description="Resume dunning", permissions=["manage"])
    def resume(self, request, queryset):
        run_each(request, queryset, lambda setting: dunning_resume(account=setting.account),
                 "Dunning resumed for {count} account(s).")
