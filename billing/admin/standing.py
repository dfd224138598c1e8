"""Finance admin of collections: each account's overdue state (a column and a filter on the accounts, and
the standings themselves, read-only: the overdue policy job moves them) and the plans' own overdue policies."""

from django.contrib import admin
from django.db.models import Q

from billing.audit import audit_record, snapshot
from billing.models import AccountStanding, OverdueState, PlanOverduePolicy


class OverdueStateFilter(admin.SimpleListFilter):
    """By overdue state; an account without a standing row has never been overdue: good."""

    title = "overdue state"
    parameter_name = "overdue_state"

    def lookups(self, request, model_admin):
        return OverdueState.choices

    def queryset(self, request, queryset):
        if self.value() == OverdueState.GOOD:
            return queryset.filter(Q(standing__isnull=True) | Q(standing__overdue_state=OverdueState.GOOD))
        if self.value():
            return queryset.filter(standing__overdue_state=self.value())
        return queryset


@admin.display(description="overdue state", ordering="standing__overdue_state")
def overdue_state_column(account) -> str:
    standing = getattr(account, "standing", None)  # none yet: never overdue
    return standing.get_overdue_state_display() if standing else OverdueState.GOOD.label


@admin.register(AccountStanding)
class AccountStandingAdmin(admin.ModelAdmin):
    """Read-only (billing.admin.accounts.ReadOnlyAdmin's rules; that module imports this one)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = ["account", "overdue_state", "days_past_due", "changed_at"]
    list_filter = ["overdue_state"]
    search_fields = ["account__name", "account__external_id"]
    list_select_related = ["account"]


@admin.register(PlanOverduePolicy)
class PlanOverduePolicyAdmin(admin.ModelAdmin):
    list_display = ["plan", "warning_days", "restricted_days", "suspended_days", "final_action"]
    autocomplete_fields = ["plan"]

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(action="plan_overdue_policy.saved", instance=obj, before=before, after=snapshot(obj))
