"""What every payments admin shares: read-only rows and the sandbox banner."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from billing.admin import ReadOnlyAdmin
from billing.errors import BillingError
from payments.gateways import default_name, gateway


class PaymentsAdmin(ReadOnlyAdmin):
    """Read-only rows, and a banner when no real gateway is configured."""

    def changelist_view(self, request, extra_context=None):
        try:
            offline = gateway().offline
        except BillingError as exc:
            messages.error(request, f"The payment gateway is not usable: {exc.message}")
        else:
            if offline:
                messages.warning(request, f"Payments run in the {default_name()} gateway: no Stripe key is "
                                          "configured, so no money moves (set STRIPE_SECRET_KEY).")
        return super().changelist_view(request, extra_context)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def ask_then(modeladmin, request, queryset, *, form_class, title: str, action: str, apply) -> TemplateResponse | None:
    """An admin action with a small form in between (amount, note): shows it, then applies it per row."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data)
                    done += 1
                except BillingError as exc:
                    messages.error(request, f"{obj}: {exc.message}")
            if done:
                messages.success(request, f"{title}: {done} done.")
            return None
    else:
        form = form_class()
    return TemplateResponse(request, "payments/admin/action_form.html", {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form, "objects": queryset,
        "action": action, "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    })


def run_each(request, queryset, func, done_message: str) -> None:
    done = 0
    for obj in queryset:
        try:
            func(obj)
            done += 1
        except BillingError as exc:
            messages.error(request, f"{obj}: {exc.message}")
    if done:
        messages.success(request, done_message.format(count=done))
