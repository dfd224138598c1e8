"""Payments (with refund actions), refunds, disputes and dunning per account."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from billing.admin.confirm import MoneyAction, Preview
from billing.admin.money import (
    MoneyActionForm,
    MoneyField,
    fields_with_money,
    money_column,
    show_money,
)
from billing.errors import BillingError
from payments.admin.common import PaymentsAdmin, run_each
from payments.models import AccountDunning, Dispute, DunningCase, Payment, Refund, RefundStatus
from payments.models.dunning import DunningStatus
from payments.services.charging import payment_mark_received, payment_resume
from payments.services.dunning import dunning_pause, dunning_resume, dunning_retry_now
from payments.services.refund_notes import payment_credit_left, refund_note_room
from payments.services.refunds import REFUNDABLE, refund_create


class RefundForm(MoneyActionForm):
    amount = MoneyField(required=False, allow_zero=False, help_text=(
        "In major units with the currency's digits (5.00, ¥1,000, 1.250). Empty: everything that is left."))
    reason = forms.CharField(max_length=200, required=False)


class PauseForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Why dunning stops for this account (the note it keeps).")


def _m(payment: Payment, minor: int) -> str:
    return show_money(minor, payment.currency)


def _label(payment: Payment) -> str:
    return f"payment #{payment.pk}"


def _pending_refunds(payment: Payment) -> int:
    return sum(r.amount for r in payment.refunds.all() if r.status == RefundStatus.PENDING)


def _refunds_to(payment: Payment) -> str:
    method = payment.payment_method
    if method is None:
        return f"through the {payment.gateway} gateway"
    if method.last4:
        return f"to the {(method.brand or method.type).title()} ending {method.last4}"
    return f"to the customer's {method.type}"


def _refund_preview(payment: Payment, data: dict) -> Preview:
    pending = _pending_refunds(payment)
    left = payment.amount - payment.amount_refunded - pending
    amount = data.get("amount") or left
    problem = ""
    if payment.status not in REFUNDABLE:
        problem = f"A {payment.get_status_display().lower()} payment cannot be refunded."
    elif amount <= 0:
        problem = f"Nothing is left to refund on {_label(payment)}."
    elif amount > left:
        problem = f"At most {_m(payment, left)} can still be refunded on {_label(payment)}."
    after = payment.amount_refunded + pending + amount
    state = "refunded" if after >= payment.amount else "partially refunded"
    invoice = payment.invoice
    text = (f"Refund {_m(payment, amount)} of {_label(payment)} (paid {_m(payment, payment.amount)}, refunded so far "
            f"{_m(payment, payment.amount_refunded)}"
            + (f", {_m(payment, pending)} pending" if pending else "")
            + f") {_refunds_to(payment)}; the payment will read refunded {_m(payment, after)} of "
            f"{_m(payment, payment.amount)} ({state}). Invoice {invoice} stays {invoice.status} and a refund credit "
            "note documents it (what of the payment became credit is drawn back from the balance instead).")
    if not problem:
        room = refund_note_room(payment) + payment_credit_left(payment) - pending
        if amount > room:
            problem = (f"At most {_m(payment, max(0, room))} can be refunded against invoice {invoice}: the rest was "
                       "credited already.")
    return Preview(text, problem)


def _refund(payment: Payment, data: dict) -> str:
    refund = refund_create(payment=payment, amount=data.get("amount"), reason=data.get("reason") or "")
    amount = _m(payment, refund.amount)
    if refund.status == RefundStatus.SUCCEEDED:
        return f"Refunded {amount} on {_label(payment)}."
    if refund.status == RefundStatus.FAILED:
        raise BillingError(f"The refund of {amount} on {_label(payment)} failed: {refund.failure_message}")
    return f"Refund of {amount} on {_label(payment)} sent; the gateway has not answered yet (pending)."


def _payment_summary(payment: Payment) -> str:
    return (f"{_label(payment)} on {payment.invoice} ({payment.account}, {payment.get_status_display().lower()}): "
            f"paid {_m(payment, payment.amount)}, refunded {_m(payment, payment.amount_refunded)}")


refund_action = MoneyAction(title="Refund", form_class=RefundForm, describe=_refund_preview, apply=_refund,
                            form_kwargs=lambda payments: {"currencies": [p.currency for p in payments]},
                            summary=_payment_summary)


class NothingToTypeForm(forms.Form):
    pass


def _received_preview(payment: Payment, data: dict) -> Preview:
    problem = ""
    if payment.gateway != "manual":
        problem = "Only manual payments (bank transfers) are confirmed by hand; card payments report themselves."
    elif payment.status not in ("pending", "requires_action"):
        problem = f"{_label(payment)} is already {payment.get_status_display().lower()}."
    invoice = payment.invoice
    text = (f"Record the bank transfer of {_m(payment, payment.amount)} for {_label(payment)} as received: the "
            f"payment succeeds and invoice {invoice}'s amount due goes {show_money(invoice.amount_due, invoice.currency)}"
            f" → {show_money(max(0, invoice.amount_due - payment.amount), invoice.currency)}.")
    return Preview(text, problem)


def _mark_received(payment: Payment, data: dict) -> str:
    done = payment_mark_received(payment=payment)
    return f"Recorded {_m(done, done.amount)} received for {_label(done)} ({done.get_status_display().lower()})."


received_action = MoneyAction(title="Confirm the transfer arrived", form_class=NothingToTypeForm,
                              describe=_received_preview, apply=_mark_received)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = [money_column("amount"), "status", "reason", "reference", "gateway_refund_id", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


PAYMENT_MONEY = {"amount": money_column("amount"),
                 "amount_refunded": money_column("amount_refunded", description="refunded")}


@admin.register(Payment)
class PaymentAdmin(PaymentsAdmin):
    list_display = ["id", "reference", "account", "invoice_id", PAYMENT_MONEY["amount"], "status", "attempt",
                    "gateway", "failure_code", PAYMENT_MONEY["amount_refunded"], "created_at"]
    list_filter = ["status", "gateway", "failure_code", "currency"]
    search_fields = ["reference", "gateway_payment_id", "gateway_charge_id", "account__name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]
    actions = ["refund", "check_now", "mark_received"]
    fields = fields_with_money(Payment, PAYMENT_MONEY)
    readonly_fields = list(PAYMENT_MONEY.values())

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_payment")

    @admin.action(description="Refund (full or partial)…", permissions=["manage"])
    def refund(self, request, queryset):
        return refund_action.run(self, request, queryset.select_related("invoice", "payment_method", "account"))

    @admin.action(description="Ask the gateway now (pending payments)", permissions=["manage"])
    def check_now(self, request, queryset):
        run_each(request, queryset, lambda payment: payment_resume(payment=payment), "Checked {count} payment(s).")

    @admin.action(description="Confirm the bank transfer arrived (manual gateway)…", permissions=["manage"])
    def mark_received(self, request, queryset):
        return received_action.run(self, request, queryset.select_related("invoice"))


REFUND_MONEY = {"amount": money_column("amount")}


@admin.register(Refund)
class RefundAdmin(PaymentsAdmin):
    list_display = ["id", "reference", "account", "payment", REFUND_MONEY["amount"], "status", "credit_note_id",
                    "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "gateway_refund_id", "account__name"]
    list_select_related = ["account", "payment"]
    fields = fields_with_money(Refund, REFUND_MONEY)
    readonly_fields = list(REFUND_MONEY.values())


DISPUTE_MONEY = {"amount": money_column("amount")}


@admin.register(Dispute)
class DisputeAdmin(PaymentsAdmin):
    list_display = ["id", "gateway_dispute_id", "account", "payment", DISPUTE_MONEY["amount"], "reason",
                    "gateway_status", "outcome", "evidence_due_by", "created_at", "closed_at"]
    list_filter = ["outcome", "reason", "currency"]
    search_fields = ["gateway_dispute_id", "account__name"]
    list_select_related = ["account", "payment"]
    fields = fields_with_money(Dispute, DISPUTE_MONEY)
    readonly_fields = list(DISPUTE_MONEY.values())


def _case_due(case: DunningCase) -> str:
    return show_money(case.invoice.amount_due, case.invoice.currency)


def _pause_preview(case: DunningCase, data: dict) -> Preview:
    problem = ""
    if AccountDunning.objects.filter(account_id=case.account_id, paused=True).exists():
        problem = f"Dunning is already paused for {case.account}."
    return Preview(f"Pause dunning for {case.account}: no retry, reminder or final action on its failed invoices "
                   f"({case.invoice}: {_case_due(case)} due) until resumed; dunning active → paused.", problem)


def _pause(case: DunningCase, data: dict) -> str:
    dunning_pause(account=case.account, note=data["reason"])
    return f"Dunning paused for {case.account}."


pause_action = MoneyAction(title="Pause dunning", form_class=PauseForm, describe=_pause_preview, apply=_pause,
                           preview_first=True)


def _retry_preview(case: DunningCase, data: dict) -> Preview:
    problem = ""
    if case.status != DunningStatus.ACTIVE:
        problem = f"Case #{case.pk} is {case.get_status_display().lower()}: there is nothing to retry."
    return Preview(f"Retry the payment of {case.invoice} ({case.account}) now: charge {_case_due(case)} to the "
                   f"payment method on file (retry {case.retries_done + 1}); if it succeeds the invoice is paid and "
                   "the case recovered, if not the next retry stays scheduled.", problem)


def _retry(case: DunningCase, data: dict) -> str:
    retried = dunning_retry_now(account_id=case.account_id)
    case.refresh_from_db()
    return (f"Retried {retried} case(s) of {case.account}: case #{case.pk} is now "
            f"{case.get_status_display().lower()}.")


retry_action = MoneyAction(title="Retry the payment now", form_class=forms.Form, describe=_retry_preview,
                           apply=_retry)


@admin.register(DunningCase)
class DunningCaseAdmin(PaymentsAdmin):
    list_display = ["id", "account", "invoice", money_column("invoice.amount_due", currency="invoice.currency",
                                                             description="amount due"),
                    "status", "cause", "failures", "retries_done", "next_retry_at", "last_failure_code",
                    "final_action", "account_paused"]
    list_filter = ["status", "cause", "final_action"]
    search_fields = ["account__name"]
    list_select_related = ["account", "invoice"]
    actions = ["retry_now", "pause", "resume"]

    @admin.display(boolean=True, description="paused")
    def account_paused(self, case):
        return AccountDunning.objects.filter(account_id=case.account_id, paused=True).exists()

    def has_manage_permission(self, request):
        return request.user.has_perm("payments.change_accountdunning")

    @admin.action(description="Retry the payment now…", permissions=["manage"])
    def retry_now(self, request, queryset):
        return retry_action.run(self, request, queryset.select_related("account", "invoice"))

    @admin.action(description="Pause dunning for these accounts…", permissions=["manage"])
    def pause(self, request, queryset):
        return pause_action.run(self, request, queryset.select_related("account", "invoice"))

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
