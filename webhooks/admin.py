"""Finance admin of the webhooks: endpoints (the secret shown once, rotation, replay of failed deliveries since
a time) and deliveries with every attempt (replay of the selected ones)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from billing.admin.confirm import MoneyAction, Preview, error_text
from billing.errors import BillingError, ValidationFailed
from webhooks import catalog
from webhooks.models import ALL_EVENTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    deliveries_replay_failed,
    delivery_replay,
    endpoint_create,
    endpoint_secret_rotate,
    endpoint_update,
)
from webhooks.services.endpoints import url_checked

EVENT_CHOICES = [(ALL_EVENTS, "All events")] + [(event.type, event.type) for event in catalog.EVENTS]


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple,
                                            initial=[ALL_EVENTS])

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "enabled"]

    def clean_url(self):
        try:  # what the host resolves to, as the service checks it
            return url_checked(self.cleaned_data["url"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields["url"]) from None


class ReplaySinceForm(forms.Form):
    since = forms.SplitDateTimeField(help_text="Deliveries of events from this time on (the billing clock's).",
                                     widget=forms.SplitDateTimeWidget(date_attrs={"type": "date"},
                                                                      time_attrs={"type": "time"}))


def _replay_describe(endpoint: WebhookEndpoint, data: dict) -> Preview:
    if not endpoint.enabled:
        return Preview("", problem="disabled: enable it first")
    failed = endpoint.deliveries.filter(status="failed", created_at__gte=data["since"]).count() if data else 0
    return Preview(f"{failed} failed deliveries to send again" if data else "")


def _replay_apply(endpoint: WebhookEndpoint, data: dict) -> str:
    count = deliveries_replay_failed(endpoint=endpoint, since=data["since"])
    return f"{endpoint.url}: {count} failed deliveries queued again"


REPLAY_FAILED = MoneyAction(title="Replay failed deliveries since…", form_class=ReplaySinceForm,
                            describe=_replay_describe, apply=_replay_apply)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "result", "status_code", "latency_ms", "response_excerpt", "error", "next_attempt_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "enabled", "disabled_reason", "created_at"]
    list_filter = ["enabled", "disabled_reason"]
    search_fields = ["url", "description"]
    readonly_fields = ["disabled_reason", "disabled_at", "previous_secret_expires_at", "created_at", "updated_at"]
    actions = ["rotate_secret", "replay_failed"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "description", "event_types", "enabled"]
        return ["url", "description", "event_types", "enabled", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        """Through the services (audited; the secret made there and shown once)."""
        data = form.cleaned_data
        if change:
            endpoint_update(endpoint=obj.pk, url=data["url"], description=data["description"],
                            event_types=data["event_types"], enabled=data["enabled"])
            return
        endpoint, secret = endpoint_create(url=data["url"], event_types=data["event_types"],
                                           description=data["description"], enabled=data["enabled"])
        obj.pk = endpoint.pk
        obj.__dict__.update({f.attname: getattr(endpoint, f.attname) for f in WebhookEndpoint._meta.concrete_fields})
        obj._state.adding = False
        messages.warning(request, f"Copy this signing secret now; it will not be shown again: {secret}")

    @admin.action(description="Rotate the signing secret (the old one stays valid 24 hours)",
                  permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            endpoint, secret = endpoint_secret_rotate(endpoint=endpoint)
            messages.warning(request, f"{endpoint.url}: copy the new signing secret now; it will not be shown "
                                      f"again: {secret}")

    @admin.action(description="Replay failed deliveries since…", permissions=["change"])
    def replay_failed(self, request, queryset):
        return REPLAY_FAILED.run(self, request, queryset)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "event_id", "endpoint", "status", "attempts", "last_status_code",
                    "next_attempt_at", "created_at"]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["=event_id", "event_type"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    actions = ["replay"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only rows; replaying goes through the action

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in WebhookDelivery._meta.concrete_fields]

    def has_replay_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookendpoint")

    @admin.action(description="Replay the selected deliveries now", permissions=["replay"])
    def replay(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                delivery_replay(endpoint=delivery.endpoint_id, event_id=delivery.event_id)
                done += 1
            except BillingError as exc:
                messages.error(request, f"{delivery}: {error_text(exc)}")
        if done:
            messages.success(request, f"Queued {done} deliveries again at {timezone.now():%H:%M:%S}.")
