"""Finance admin for accounts, API keys, the audit trail and the outbox."""

from django import forms
from django.contrib import admin, messages

from billing.admin.standing import OverdueStateFilter, overdue_state_column
from billing.errors import BillingError
from billing.models import Account, ApiKey, ApiScope, AuditEntry, Membership, OutboxEvent
from billing.services import (
    api_key_create,
    api_key_grant_check,
    api_key_grantable_scopes,
    api_key_revoke,
)
from billing.signin import AdminSignInForm

admin.site.site_header = "Billing administration"
admin.site.site_title = "Billing admin"
admin.site.login_form = AdminSignInForm  # throttled sign-in (billing/signin.py)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows nobody edits: no add, change or delete, for any user."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "external_id", "is_active", overdue_state_column, "created_at"]
    search_fields = ["name", "external_id"]
    list_filter = ["is_active", OverdueStateFilter]
    list_select_related = ["standing"]
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        from billing.admin.subscriptions import BillingProfileInline

        return [MembershipInline, BillingProfileInline]

    def save_formset(self, request, form, formset, change):
        from billing.admin.subscriptions import save_billing_profile
        from billing.models import BillingProfile

        if formset.model is BillingProfile:
            save_billing_profile(request, form.instance, formset)
            return
        if formset.model is Membership:
            save_memberships(form.instance, formset)
            return
        super().save_formset(request, form, formset, change)


def save_memberships(account: Account, formset) -> None:
    """Membership rows edited inline go through the services, so each change is audited."""
    from billing.services import membership_add, membership_remove

    changed = formset.save(commit=False)
    for membership in formset.deleted_objects:
        membership_remove(membership=membership)
    for membership in changed:
        if membership.pk:
            stored = Membership.objects.get(pk=membership.pk)
            if stored.user_id != membership.user_id:  # the row now names someone else
                membership_remove(membership=stored)
        membership_add(account=account, user=membership.user, role=membership.role)


class ApiKeyForm(forms.ModelForm):
    """The add form: scopes offered and checked for the person minting (`minted_by`, set by the admin)."""

    scopes = forms.MultipleChoiceField(choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple)
    minted_by = None

    class Meta:
        model = ApiKey
        fields = ["name", "account", "scopes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grantable = api_key_grantable_scopes(user=self.minted_by)
        self.fields["scopes"].choices = [(value, label) for value, label in ApiScope.choices if value in grantable]

    def clean(self):
        data = super().clean()
        if "scopes" in data:
            try:
                api_key_grant_check(scopes=data["scopes"], account=data.get("account"), created_by=self.minted_by)
            except BillingError as exc:
                for name, reasons in exc.fields.items():
                    self.add_error(name if name in self.fields else None, reasons)
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "account", "scopes", "last_used_at", "revoked_at", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "account__name"]
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the key stays on record beside the audit entries it signed

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["prefix", "last_used_at", "revoked_at"]
        return ["account", "scopes", "prefix", "last_used_at", "revoked_at", "created_by", "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "account", "scopes"]
        return ["name", "account", "scopes", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
            return super().get_form(request, obj, **kwargs)
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"minted_by": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        issued = api_key_create(name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                                account=form.cleaned_data.get("account"), created_by=request.user)
        obj.pk = issued.api_key.pk
        obj.__dict__.update({f.attname: getattr(issued.api_key, f.attname) for f in ApiKey._meta.concrete_fields})
        obj._state.adding = False
        messages.warning(request, f"Copy this API key now; it will not be shown again: {issued.secret}")

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "actor_type", "actor_label", "account_id",
                    "reason", "request_id"]
    list_filter = ["action", "actor_type", "object_type"]
    search_fields = ["object_id", "actor_label", "request_id", "action", "reason"]
    date_hierarchy = "created_at"


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "account_id", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["status", "type"]
    search_fields = ["type"]
