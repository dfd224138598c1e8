"""Finance admin: invoices (lines inline, actions through services), credit notes, tax rates,
customer invoicing settings, bill-run history, the subscriptions bill runs could not bill, and the
email log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from billing.admin import ReadOnlyAdmin
from billing.admin.money import fields_with_money, money_column, show_money, unit_price_column
from billing.audit import audit_record, snapshot
from billing.errors import BillingError
from invoicing import admin_actions, services
from invoicing.models import (
    BillingRecord,
    BillRun,
    BillRunFailure,
    CreditNote,
    CreditNoteLine,
    CustomerInvoicing,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoicePayment,
    SentEmail,
    TaxRate,
)
from invoicing.selectors import tax_rate_active_at, tax_rate_invoiced
from invoicing.services.taxes import tax_rate_fields_clean


def _fail(request, exc: BillingError) -> None:
    detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
    messages.error(request, f"{exc.message} {detail}".strip())


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _on_invoice(field: str, description: str | None = None):
    return money_column(field, currency="invoice.currency", description=description)


class LineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["kind", "description", "metric_code", "group_key", "quantity",
              unit_price_column(currency="invoice.currency"), "period_start", "period_end", "proration_factor",
              _on_invoice("amount"), _on_invoice("discount_amount", "discount"), "tax_name",
              _on_invoice("tax_amount", "tax")]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


class DiscountInline(ReadOnlyInline):
    model = InvoiceDiscount
    fields = ["code", "description", "percent_off", _on_invoice("amount_off", "amount off"), _on_invoice("amount")]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


class PaymentInline(ReadOnlyInline):
    model = InvoicePayment
    fields = [_on_invoice("amount"), "reference", "source", "recorded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")


class CreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = ["number", money_column("total"), "credit_method", "reason", "issue_date"]
    readonly_fields = fields
    show_change_link = True


INVOICE_MONEY = {name: money_column(name, description=name.replace("_", " "))
                 for name in ("subtotal", "discount_total", "tax_total", "total", "credit_applied", "credited_total",
                              "amount_paid", "amount_due")}


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["id", "number", "account", "status", INVOICE_MONEY["total"], INVOICE_MONEY["amount_due"],
                    "issue_date", "due_date", "collection_method", "overdue_at"]
    list_filter = ["status", "collection_method", "billing_reason", "currency"]
    search_fields = ["number", "account__name", "account__external_id", "payment_reference"]
    date_hierarchy = "created_at"
    inlines = [LineInline, DiscountInline, PaymentInline, CreditNoteInline]
    actions = ["finalize", "mark_paid", "record_transfer", "void", "mark_uncollectible", "add_line", "add_discount",
               "credit", "render_pdf", "download_ubl"]
    readonly_fields = ["pdf_link", "tax_by_rate", *INVOICE_MONEY.values()]

    def has_add_permission(self, request):
        return False  # invoices come from bill runs and the API

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A finalized invoice is immutable: its page has no Save button (the list's actions still act).
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        return ["memo", *self.get_readonly_fields(request, obj)]  # the memo of a draft is all one edits here

    def get_readonly_fields(self, request, obj=None):
        shown = fields_with_money(Invoice, INVOICE_MONEY, swap={"tax_breakdown": "tax_by_rate"},
                                  exclude=("id", "memo"), editable_only=False)
        return [*shown, "pdf_link"]

    @admin.display(description="Tax by rate")
    def tax_by_rate(self, obj):
        return format_html_join("", "<div>{} {}%{}: {} on {}</div>", (
            (row.get("name", ""), row.get("percentage", ""), " (included)" if row.get("inclusive") else "",
             show_money(row.get("tax"), obj.currency), show_money(row.get("taxable"), obj.currency))
            for row in obj.tax_breakdown or [])) or "—"

    def save_model(self, request, obj, form, change):
        if not obj.is_draft:
            messages.error(request, "A finalized invoice cannot be edited: issue a credit note.")
            return
        before = snapshot(Invoice.objects.get(pk=obj.pk), ["memo"])
        super().save_model(request, obj, form, change)
        audit_record(action="invoice.memo_changed", instance=obj, before=before, after=snapshot(obj, ["memo"]))

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        if obj.is_draft:
            return "—"
        return format_html('<a href="{}">{}.pdf</a> (Factur-X) · <a href="{}">{}.xml</a> (UBL)',
                           reverse("admin:invoicing_invoice_pdf", args=[obj.pk]), obj.number,
                           reverse("admin:invoicing_invoice_ubl", args=[obj.pk]), obj.number)

    def get_urls(self):
        from django.urls import path

        return [path("<int:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="invoicing_invoice_pdf"),
                path("<int:invoice_id>/ubl/", self.admin_site.admin_view(self.ubl_view), name="invoicing_invoice_ubl"),
                *super().get_urls()]

    def ubl_view(self, request, invoice_id: int):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from invoicing.api.einvoice import ubl_download

        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = Invoice.objects.filter(pk=invoice_id).exclude(status="draft").first()
        if invoice is None:
            raise Http404
        return ubl_download([invoice])

    def pdf_view(self, request, invoice_id: int):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from invoicing.api.views import pdf_response
        from invoicing.services.documents import invoice_pdf_store

        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = Invoice.objects.filter(pk=invoice_id).exclude(status="draft").first()
        if invoice is None:
            raise Http404
        if not invoice.pdf or invoice.pdf_status != invoice.status:
            invoice = invoice_pdf_store(invoice_id=invoice.pk)
        return pdf_response(request, invoice.pdf, invoice.pdf_etag, f"{invoice.number}.pdf")

    # Money actions: a confirmation page shows the amounts and what will change, then the service acts.
    @admin.action(description="Finalize drafts now…", permissions=["change"])
    def finalize(self, request, queryset):
        return admin_actions.finalize.run(self, request, queryset)

    @admin.action(description="Mark paid out of band (bank transfer reference)…", permissions=["change"])
    def mark_paid(self, request, queryset):
        return admin_actions.mark_paid.run(self, request, queryset)

    @admin.action(description="Record a bank transfer (part, all or more of what is due)…", permissions=["change"])
    def record_transfer(self, request, queryset):
        return admin_actions.record_transfer.run(self, request, queryset)

    @admin.action(description="Void…", permissions=["change"])
    def void(self, request, queryset):
        return admin_actions.void.run(self, request, queryset)

    @admin.action(description="Mark uncollectible…", permissions=["change"])
    def mark_uncollectible(self, request, queryset):
        return admin_actions.mark_uncollectible.run(self, request, queryset)

    @admin.action(description="Add a one-off line to drafts…", permissions=["change"])
    def add_line(self, request, queryset):
        return admin_actions.add_line.run(self, request, queryset)

    @admin.action(description="Add a discount to drafts…", permissions=["change"])
    def add_discount(self, request, queryset):
        return admin_actions.add_discount.run(self, request, queryset)

    @admin.action(description="Issue a credit note…", permissions=["change"])
    def credit(self, request, queryset):
        return admin_actions.credit.run(self, request, queryset)

    @admin.action(description="Render the PDF again", permissions=["change"])
    def render_pdf(self, request, queryset):
        from invoicing.services.documents import invoice_pdf_store

        for invoice in queryset.exclude(status="draft"):
            invoice_pdf_store(invoice_id=invoice.pk, force=True)
        messages.success(request, "PDFs rendered.")

    @admin.action(description="Download the UBL e-invoices (EN 16931)", permissions=["view"])
    def download_ubl(self, request, queryset):
        from invoicing.api.einvoice import ubl_download

        invoices = list(queryset.exclude(status="draft").prefetch_related("lines", "discounts"))
        if not invoices:
            messages.warning(request, "Drafts have no e-invoice: finalize them first.")
            return None
        return ubl_download(invoices)


def _on_credit_note(field: str, description: str | None = None):
    return money_column(field, currency="credit_note.currency", description=description)


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = ["description", _on_credit_note("amount"), "tax_name", _on_credit_note("tax_amount", "tax")]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("credit_note")


CREDIT_NOTE_MONEY = {name: money_column(name) for name in ("subtotal", "tax_total", "total")}


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "invoice", "account", CREDIT_NOTE_MONEY["total"], "credit_method", "reason",
                    "issue_date"]
    list_filter = ["credit_method", "currency"]
    search_fields = ["number", "invoice__number", "account__name"]
    inlines = [CreditNoteLineInline]
    fields = fields_with_money(CreditNote, CREDIT_NOTE_MONEY)
    readonly_fields = list(CREDIT_NOTE_MONEY.values())
    actions = ["download_ubl"]

    @admin.action(description="Download the UBL e-credit notes (EN 16931)", permissions=["view"])
    def download_ubl(self, request, queryset):
        from invoicing.api.einvoice import ubl_download

        return ubl_download(queryset.select_related("invoice", "invoice__account").prefetch_related("lines"))


class TaxRateForm(forms.ModelForm):
    """Checked by the service's own rules, so what the form accepts the service saves."""

    replaces = forms.ModelChoiceField(
        queryset=TaxRate.objects.filter(is_active=True), required=False,
        help_text="The active rate of the same place, archived as this one is created (a new percentage).")

    class Meta:
        model = TaxRate
        fields = ["name", "country", "region", "percentage", "inclusive", "is_active", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["replaces"]  # a new rate replaces an old one; an old one replaces nothing

    def clean(self):
        data = super().clean()
        try:
            tax_rate_fields_clean({k: v for k, v in data.items() if v is not None and k != "replaces"})
        except BillingError as exc:
            for name, reasons in exc.fields.items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, reasons)
        stored = self.instance if self.instance.pk else None
        country = stored.country if stored else (data.get("country") or "").upper()
        region = stored.region if stored else (data.get("region") or "")
        if data.get("is_active") and country and not self.errors:
            other = tax_rate_active_at(country=country, region=region, excluding=stored.pk if stored else None)
            if other is not None and other != data.get("replaces"):
                self.add_error("replaces" if "replaces" in self.fields else "is_active",
                               f"{other} is active for this place: choose it under 'replaces' to swap them "
                               "in one step, or archive it first.")
        return data

    def validate_unique(self):
        """The clean above names the active rate of the same place, instead of a bare constraint error."""


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    """Rates are operator configuration, written through the services (audited); archived, never deleted.
    A rate on a finalized invoice keeps its percentage: create a new rate that replaces it."""

    form = TaxRateForm
    list_display = ["name", "country", "region", "percentage", "inclusive", "is_active"]
    list_filter = ["country", "inclusive", "is_active"]
    search_fields = ["name", "country", "region"]
    actions = ["archive"]

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: invoices keep pointing at the rate they used

    def get_fields(self, request, obj=None):
        fields = [*TaxRateForm.Meta.fields]
        return fields if obj else [*fields, "replaces"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if tax_rate_invoiced(obj):
            return ["country", "region", "percentage", "inclusive"]
        return ["country", "region"]

    def save_model(self, request, obj, form, change):
        fixed = self.get_readonly_fields(request, obj if change else None)
        fields = {k: v for k, v in form.cleaned_data.items() if k not in fixed}
        try:
            if change:
                saved = services.tax_rate_update(tax_rate=TaxRate.objects.get(pk=obj.pk), **fields)
            else:
                saved = services.tax_rate_create(**fields)
        except BillingError as exc:
            _fail(request, exc)
            if not change:
                raise _Refused(exc) from None
            return
        obj.pk = saved.pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused:  # nothing was saved: back to an empty form, the reason shown above it
            return redirect(request.get_full_path())

    @admin.action(description="Archive the selected rates (no new invoice gets them)", permissions=["change"])
    def archive(self, request, queryset):
        for rate in queryset:
            services.tax_rate_archive(tax_rate=rate)
        messages.success(request, f"Archived {queryset.count()} rate(s).")


class _Refused(Exception):
    """A create the service refused (e.g. a second active rate for a place): nothing to show."""


class CustomerInvoicingForm(forms.ModelForm):
    class Meta:
        model = CustomerInvoicing
        fields = ["account", "net_terms_days", "tax_exempt", "tax_exempt_reason", "email_opt_outs",
                  "extra_recipients"]


@admin.register(CustomerInvoicing)
class CustomerInvoicingAdmin(admin.ModelAdmin):
    form = CustomerInvoicingForm
    list_display = ["account", "net_terms_days", "tax_exempt", "email_opt_outs"]
    search_fields = ["account__name"]

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k != "account"}
        try:
            services.customer_invoicing_update(account=form.cleaned_data["account"], **data)
        except BillingError as exc:
            _fail(request, exc)


class BillingRecordInline(ReadOnlyInline):
    model = BillingRecord
    fields = ["subscription", "kind", "period_start", "period_end", "invoice"]
    readonly_fields = fields


class BillRunFailureInline(ReadOnlyInline):
    model = BillRunFailure
    fk_name = "bill_run"
    fields = ["subscription", "account", "period_start", "error_class", "error_message", "attempts",
              "next_attempt_at", "resolved_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "billing_time", "started_at", "finished_at", "status", "subscriptions_due",
                    "invoices_created", "skipped", "errors", "retries", "deferred"]
    list_filter = ["status"]
    readonly_fields = ["error_details"]
    inlines = [BillRunFailureInline, BillingRecordInline]


class FailureStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("retrying", "Waiting for a retry"), ("gave_up", "No retry left (finance)"),
                ("open", "Unresolved"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        open_ = queryset.filter(resolved_at__isnull=True)
        return {"retrying": open_.filter(next_attempt_at__isnull=False),
                "gave_up": open_.filter(next_attempt_at__isnull=True), "open": open_,
                "resolved": queryset.filter(resolved_at__isnull=False)}.get(self.value(), queryset)


@admin.register(BillRunFailure)
class BillRunFailureAdmin(ReadOnlyAdmin):
    """What bill runs could not bill: read-only; "retry now" bills the period through a service."""

    list_display = ["id", "subscription_link", "account", "period_start", "period_end", "error_class",
                    "error_message", "attempts", "first_seen_at", "last_seen_at", "next_attempt_at", "state",
                    "invoice"]
    list_filter = [FailureStateFilter, "error_class", "first_seen_at"]
    search_fields = ["account__name", "account__external_id", "error_message", "=subscription__id"]
    list_select_related = ["account", "invoice"]
    date_hierarchy = "first_seen_at"
    actions = ["retry_now"]

    @admin.display(description="subscription")
    def subscription_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:billing_subscription_change",
                                                          args=[obj.subscription_id]), obj.subscription_id)

    @admin.display(description="state")
    def state(self, obj):
        if obj.resolved_at is not None:
            return f"resolved: {obj.resolution}"
        return "no retry left" if obj.gave_up else "waiting for a retry"

    def has_retry_permission(self, request):
        return request.user.has_perm("invoicing.change_billrunfailure")

    @admin.action(description="Retry now (bill the failed period)", permissions=["retry"])
    def retry_now(self, request, queryset):
        from invoicing.services.bill_run_failures import RetryOutcome, bill_run_failure_retry

        outcomes = {}
        for failure in queryset.filter(resolved_at__isnull=True).order_by("id"):
            try:
                outcome = bill_run_failure_retry(failure_id=failure.pk)
            except BillingError as exc:
                _fail(request, exc)
                continue
            outcomes.setdefault(outcome, []).append(str(failure.pk))
        labels = {RetryOutcome.BILLED: "Billed", RetryOutcome.CLOSED: "Resolved, nothing left to bill",
                  RetryOutcome.SKIPPED: "Already resolved"}
        for outcome, ids in outcomes.items():
            if outcome == RetryOutcome.FAILED:
                messages.error(request, f"Failed again: {', '.join(ids)} (see the error on each).")
            else:
                messages.success(request, f"{labels[outcome]}: {', '.join(ids)}.")
        if not outcomes:
            messages.warning(request, "Nothing to retry: the selected failures are resolved.")


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    list_display = ["type", "account", "subject", "recipients", "sent_at"]
    list_filter = ["type"]
    search_fields = ["account__name", "subject"]
