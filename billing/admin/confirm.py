"""The confirmation step of every money action in the admin (Django's intermediate-page pattern).

An action on the changelist returns a page with its form (the amount, a reason);
once the form is valid the page shows, per selected row, the amount(s) and what
will change; only the confirm POST, carrying the selection and what was typed,
acts, through the same service as the API, and reports what it did with the
amount. A service's refusal is shown as a message, never a 500.

Every action asks for a reason (required, whatever the action's own form says), and every audit
entry the service writes carries it (`billing.context.giving_reason`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from billing.context import giving_reason
from billing.errors import BillingError

PREVIEW = "_preview"
CONFIRM = "_confirm"
EDIT = "_edit"


@dataclass(frozen=True)
class Preview:
    """What acting on one row will do, in words with amounts; `problem` when it cannot be done."""

    text: str
    problem: str = ""


def error_text(exc: BillingError) -> str:
    detail = "; ".join(f"{name}: {', '.join(str(r) for r in reasons)}" for name, reasons in exc.fields.items())
    return f"{exc.message} {detail}".strip()


REASON_HELP = "Why you are doing this: kept in the audit trail with the change."


def with_reason(form_class: type[forms.Form]) -> type[forms.Form]:
    """The action's form with a required `reason` (made required where the form has an optional one)."""
    field = form_class.base_fields.get("reason")
    reason = forms.CharField(max_length=getattr(field, "max_length", None) or 300, required=True,
                             help_text=(field.help_text if field is not None and field.help_text else REASON_HELP))
    return type(form_class.__name__, (form_class,), {"reason": reason})


@dataclass
class MoneyAction:
    """One money action: its form, the preview of each row, and the act (which returns what it did).

    `title` heads the page and names the confirm button; `form_kwargs(objects)` gives the form
    extra arguments (the currency of the selection); `summary(obj)` describes a selected row, with
    its amounts, above the form; `check(objects, data)` may refuse the
    selection as a whole (amounts in several currencies). With `preview_first` (nothing to type
    but words), the first page shows the preview beside the form and confirms in one step.
    """

    title: str
    form_class: type[forms.Form]
    describe: Callable[[object, dict], Preview]
    apply: Callable[[object, dict], str]
    form_kwargs: Callable[[list], dict] | None = None
    check: Callable[[list, dict], str | None] | None = None
    preview_first: bool = False
    summary: Callable[[object], str] = str

    def run(self, modeladmin, request, queryset) -> TemplateResponse | None:
        objects = list(queryset.order_by("pk"))
        post = request.POST
        kwargs = self.form_kwargs(objects) if self.form_kwargs else {}
        # With nothing to type but words (a reason, a reference), the preview comes with the form at once.
        editable = self.preview_first or not self.form_class.base_fields
        editing = EDIT in post  # back from the confirmation page, with what was typed
        bound = PREVIEW in post or CONFIRM in post or editing
        form = with_reason(self.form_class)(post if bound else None, **kwargs)
        if bound and not editing and form.is_valid() and self.check:
            problem = self.check(objects, form.cleaned_data)
            if problem:
                form.add_error(None, problem)
        if bound and not editing and form.is_valid():
            previews = [(obj, self.describe(obj, form.cleaned_data)) for obj in objects]
            if CONFIRM in post:
                self._act(request, previews, form.cleaned_data)
                return None
            stage = "confirm"
        elif editable:
            stage, previews = "confirm", [(obj, self.describe(obj, {})) for obj in objects]
        else:
            stage, previews = "form", [(obj, None) for obj in objects]
        summaries = [self.summary(obj) for obj, _ in previews] if stage == "form" else []
        return TemplateResponse(request, "admin/money_action.html", {
            **modeladmin.admin_site.each_context(request),
            "title": self.title, "opts": modeladmin.model._meta, "form": form, "stage": stage,
            "editable": editable, "previews": previews, "summaries": summaries, "action": post.get("action", ""),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "can_act": any(preview and not preview.problem for _, preview in previews),
        })

    def _act(self, request, previews, data) -> None:
        for obj, preview in previews:
            if preview.problem:  # seen on the confirmation page: not sent to the service
                messages.error(request, f"{obj}: {preview.problem}")
                continue
            try:
                with giving_reason(data["reason"]):
                    done = self.apply(obj, data)
            except BillingError as exc:
                messages.error(request, f"{obj}: {error_text(exc)}")
            else:
                messages.success(request, done)
