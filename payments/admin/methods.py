"""Payment methods (no secrets), gateway customers, setups and webhook events."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from payments.admin.common import PaymentsAdmin
from payments.models import GatewayCustomer, PaymentMethod, PaymentSetup, WebhookEvent
from payments.services.methods import payment_method_remove, payment_method_set_default
from payments.services.webhooks import webhook_event_reprocess


@admin.register(PaymentMethod)
class PaymentMethodAdmin(PaymentsAdmin):
    list_display = ["id", "account", "gateway", "type", "brand", "last4", "exp_month", "exp_year", "is_default",
                    "created_at", "removed_at"]
    list_filter = ["gateway", "type", "is_default", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["gateway_id", "last4", "fingerprint", "account__name"]
    list_select_related = ["account"]
    actions = ["make_default", "remove"]

    @admin.action(description="Make the selected method its account's default", permissions=["manage"])
    def make_default(self, request, queryset):
        for method in queryset:
            payment_method_set_default(method=method)
        messages.success(request, "Default payment method(s) set.")

    @admin.action(description="Remove the selected methods (detaches them at Stripe)", permissions=["manage"])
    def remove(self, request, queryset):
        for method in queryset:
            payment_method_remove(method=method)
        messages.success(request, f"Removed {queryset.count()} payment method(s).")

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_paymentmethod")


@admin.register(GatewayCustomer)
class GatewayCustomerAdmin(PaymentsAdmin):
    list_display = ["id", "account", "gateway", "customer_id", "created_at", "deleted_at"]
    search_fields = ["customer_id", "account__name"]
    list_select_related = ["account"]


@admin.register(PaymentSetup)
class PaymentSetupAdmin(PaymentsAdmin):
    list_display = ["id", "account", "gateway_id", "status", "payment_method", "failure_message", "created_at"]
    list_filter = ["status"]
    search_fields = ["gateway_id", "account__name"]
    list_select_related = ["account", "payment_method"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(PaymentsAdmin):
    list_display = ["id", "event_id", "type", "status", "attempts", "account_id", "result_short", "received_at",
                    "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "object_id", "type"]
    readonly_fields = ["event_id", "gateway", "type", "object_id", "account", "status", "attempts", "result",
                       "traceback_block", "payload", "event_created_at", "received_at", "processed_at",
                       "next_attempt_at"]
    exclude = ["traceback"]
    actions = ["reprocess"]

    @admin.display(description="result")
    def result_short(self, obj):
        return (obj.result or "")[:80]

    @admin.display(description="traceback")
    def traceback_block(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"

    @admin.action(description="Reprocess the selected events", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        results = {}
        for event in queryset.order_by("event_created_at", "id"):
            processed = webhook_event_reprocess(event=event)
            status = processed.status if processed else "busy"
            results[status] = results.get(status, 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in sorted(results.items()))
        messages.success(request, f"Reprocessed: {summary}.")

    def has_reprocess_permission(self, request):
        return request.user.has_perm("payments.change_webhookevent")
