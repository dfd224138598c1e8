"""The snapshot rows behind the dashboard's figures, read-only: only `mrr_snapshot_take` writes them."""

from django.contrib import admin

from analytics.models import MrrMonth, MrrSnapshot


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MrrSnapshot)
class MrrSnapshotAdmin(ReadOnly):
    list_display = ("day", "subscription_id", "account_id", "plan", "currency", "status", "quantity", "mrr")
    list_filter = ("currency", "status")
    date_hierarchy = "day"
    list_select_related = ("plan",)
    show_full_result_count = False  # a day holds a row per live subscription


@admin.register(MrrMonth)
class MrrMonthAdmin(ReadOnly):
    list_display = ("month", "currency", "as_of", "mrr_start", "new", "expansion", "reactivated", "contraction",
                    "churned", "mrr", "usage", "trials_ended", "trials_converted")
    list_filter = ("currency",)
