"""Outbox handlers of invoicing: the billing emails (delivered at least once; sent once)."""

from __future__ import annotations

from django.utils.dateparse import parse_date, parse_datetime

from billing.models import OutboxEvent
from billing.outbox import handler
from invoicing.collection import collection_context
from invoicing.customers import customer_details
from invoicing.documents import formatting as fmt
from invoicing.emails import email_send, finance_alert_send
from invoicing.hosted_links import hosted_invoice_url
from invoicing.models import EmailType, Invoice

AUTHENTICATION_EXPIRED = "authentication_expired"  # payments' failure code of an expired 3-D Secure attempt


def _language(event: OutboxEvent) -> str:
    from billing.models import Account

    account = Account.objects.filter(pk=event.account_id).first()
    return customer_details(account).language if account else "en"


def _money(amount, currency, lang) -> str:
    if amount is None or not currency:
        return ""
    return fmt.money(int(amount), currency, lang)


def _when(value, lang) -> str:
    if not value:
        return ""
    parsed = parse_datetime(value) if isinstance(value, str) and "T" in value else None
    if parsed is None and isinstance(value, str):
        parsed = parse_date(value)
    return fmt.day(parsed if parsed is not None else value, lang)


def _moment(value, lang) -> str:
    """A date and time (retries are minutes apart), in the operator's time zone."""
    from babel.dates import format_datetime
    from django.utils import timezone

    parsed = parse_datetime(value) if isinstance(value, str) else value
    return format_datetime(timezone.localtime(parsed), "medium", locale=lang) if parsed else ""


def _invoice_context(invoice: Invoice, lang: str) -> dict:
    return collection_context(invoice) | {
        "invoice": invoice, "number": invoice.number,
        "total": fmt.money(invoice.total, invoice.currency, lang),
        "amount_due": fmt.money(invoice.amount_due, invoice.currency, lang),
        "due_date": fmt.day(invoice.due_date, lang),
        "period": fmt.period(invoice.period_start, invoice.period_end, lang),
        "is_paid": invoice.status == "paid",
    }


@handler("billing.invoice.finalized")
def email_invoice_generated(event: OutboxEvent) -> None:
    from invoicing.services.documents import invoice_pdf_store

    invoice = Invoice.objects.filter(pk=event.payload.get("invoice_id")).first()
    if invoice is None:
        return
    stored = invoice_pdf_store(invoice_id=invoice.pk) or invoice
    attachments = []
    if stored.pdf:
        with stored.pdf.open("rb") as handle:
            attachments.append((f"{invoice.number}.pdf", handle.read(), "application/pdf"))
    email_send(event=event, email_type=EmailType.INVOICE_GENERATED,
               context=_invoice_context(invoice, _language(event)), attachments=attachments)


@handler("billing.invoice.reminder")
def email_invoice_reminder(event: OutboxEvent) -> None:
    """Before the due date "due soon", after it "overdue" (which replaced the email of `billing.invoice.overdue`:
    the first reminder after the due date is that email, on the same day)."""
    invoice = Invoice.objects.filter(pk=event.payload.get("invoice_id")).first()
    if invoice is None or invoice.status != "open":
        return
    step = event.payload.get("step", 0)
    context = _invoice_context(invoice, _language(event)) | {"days_overdue": event.payload.get("days_overdue", 0),
                                                             "days_until_due": event.payload.get("days_until_due", 0)}
    email_send(event=event, email_type=EmailType.INVOICE_DUE_SOON if step < 0 else EmailType.INVOICE_OVERDUE,
               context=context)


@handler("billing.account.overdue_state_changed")
def email_account_overdue(event: OutboxEvent) -> None:
    """Warning, restriction and suspension are each told once, with the unpaid invoices and how to pay them."""
    from invoicing.models import InvoiceStatus
    from invoicing.services.common import today

    state = event.payload.get("overdue_state")
    if state == "good":
        return
    lang = _language(event)
    unpaid = Invoice.objects.filter(account_id=event.account_id, status=InvoiceStatus.OPEN, amount_due__gt=0,
                                    due_date__lt=today()).order_by("due_date", "id")
    invoices = [_invoice_context(invoice, lang) for invoice in unpaid]
    email_send(event=event, email_type=EmailType.ACCOUNT_OVERDUE, context={
        "overdue_state": state, "days_past_due": event.payload.get("days_past_due", 0), "invoices": invoices,
        "add_card_prompt": any(i["add_card_prompt"] for i in invoices),
        "add_card_url": invoices[0]["add_card_url"] if invoices else ""})


def _payment_context(event: OutboxEvent) -> dict:
    lang = _language(event)
    payload = event.payload
    invoice = Invoice.objects.filter(pk=payload.get("invoice_id")).first()
    currency = payload.get("currency") or (invoice.currency if invoice else "")
    return (collection_context(invoice) if invoice else {}) | {
        "amount": _money(payload.get("amount"), currency, lang), "number": invoice.number if invoice else "",
        "failure_message": payload.get("failure_message", ""), "next_retry": _when(payload.get("next_retry_at"), lang)}


@handler("billing.payment.succeeded")
def email_payment_succeeded(event: OutboxEvent) -> None:
    email_send(event=event, email_type=EmailType.PAYMENT_SUCCEEDED, context=_payment_context(event))


@handler("billing.payment.requires_action")
def email_payment_requires_action(event: OutboxEvent) -> None:
    """The bank asks the customer to confirm (3-D Secure): the link to do it, and when it expires."""
    invoice = Invoice.objects.filter(pk=event.payload.get("invoice_id")).first()
    # The hosted page's challenge: no sign-in needed (the console's, `action_url`, stays in the event for the
    # operator's own services).
    confirm_url = (f"{hosted_invoice_url(invoice)}payments/{event.payload.get('payment_id')}/authenticate/"
                   if invoice is not None else event.payload.get("action_url", ""))
    context = _payment_context(event) | {"action_url": confirm_url,
                                         "expires": _when(event.payload.get("action_expires_at"), _language(event))}
    email_send(event=event, email_type=EmailType.PAYMENT_REQUIRES_ACTION, context=context)


@handler("billing.payment.failed")
def email_payment_failed(event: OutboxEvent) -> None:
    # A 3-D Secure confirmation that expired has its own email: the old link is dead, here is the invoice's.
    expired = event.payload.get("failure_code") == AUTHENTICATION_EXPIRED
    email_send(event=event, email_type=EmailType.PAYMENT_ACTION_EXPIRED if expired else EmailType.PAYMENT_FAILED,
               context=_payment_context(event))


def _plan_name(payload: dict) -> str:
    """The plan's name as the customer knows it ("Standard"), not its code: the payload carries the code."""
    from billing.models import Plan, Subscription

    if payload.get("plan_name"):
        return payload["plan_name"]
    subscription = Subscription.objects.filter(pk=payload.get("subscription_id")).select_related("plan").first()
    if subscription is not None:
        return subscription.plan.name
    plan = Plan.objects.filter(code=payload.get("plan", "")).first()
    return plan.name if plan is not None else payload.get("plan", "")


def _subscription_context(event: OutboxEvent) -> dict:
    lang = _language(event)
    payload = event.payload
    return {"plan": _plan_name(payload),
            "period_end": _when(payload.get("current_period_end"), lang),
            "ended_at": _when(payload.get("ended_at") or payload.get("current_period_end"), lang),
            "at_period_end": bool(payload.get("cancel_at_period_end"))}


@handler("billing.subscription.created")
def email_subscription_created(event: OutboxEvent) -> None:
    email_send(event=event, email_type=EmailType.SUBSCRIPTION_CREATED, context=_subscription_context(event))


@handler("billing.subscription.canceled")
def email_subscription_canceled(event: OutboxEvent) -> None:
    email_send(event=event, email_type=EmailType.SUBSCRIPTION_CANCELED, context=_subscription_context(event))


@handler("invoicing.renewal_upcoming")
def email_upcoming_renewal(event: OutboxEvent) -> None:
    lang = _language(event)
    payload = event.payload
    context = {"plan": payload.get("plan_name", ""), "renews_on": _when(payload.get("period_end"), lang),
               "estimate": _money(payload.get("estimated_total"), payload.get("currency"), lang)}
    email_send(event=event, email_type=EmailType.UPCOMING_RENEWAL, context=context)


@handler("billing.credit_note.issued")
def email_credit_note_issued(event: OutboxEvent) -> None:
    lang = _language(event)
    payload = event.payload
    context = {"number": payload.get("number"), "invoice_number": payload.get("invoice_number"),
               "total": _money(payload.get("total"), payload.get("currency"), lang), "reason": payload.get("reason")}
    email_send(event=event, email_type=EmailType.CREDIT_NOTE_ISSUED, context=context)


@handler("billing.bill_run.subscription_failed")
def email_finance_bill_run_failure(event: OutboxEvent) -> None:
    """Finance hears of a subscription the bill run could not bill when it first fails and when its
    automatic retries run out (the attempts between are events and admin rows, not emails)."""
    from django.conf import settings
    from django.urls import reverse

    from billing.models import Account

    payload = event.payload
    if payload.get("attempt") != 1 and not payload.get("gave_up"):
        return
    lang = settings.LANGUAGE_CODE
    account = Account.objects.filter(pk=event.account_id).first()
    start, end = parse_datetime(payload.get("period_start") or ""), parse_datetime(payload.get("period_end") or "")
    context = {"account_name": account.name if account else "", **payload,
               "period": fmt.period(start, end, lang), "next_attempt": _moment(payload.get("next_attempt_at"), lang),
               "failure_url": settings.SITE_URL + reverse("admin:invoicing_billrunfailure_change",
                                                          args=[payload["failure_id"]])}
    finance_alert_send(event=event, email_type=EmailType.BILL_RUN_SUBSCRIPTION_FAILED, context=context)


@handler("billing.subscription.created")
@handler("billing.subscription.updated")
def bill_opening_period(event: OutboxEvent) -> None:
    """A new paid subscription, or a trial that became a paid period: invoice its first period now."""
    payload = event.payload
    starts_paid = (payload.get("action") == "created" and payload.get("status") in ("active", "incomplete")) or (
        payload.get("action") == "trial_ended" and payload.get("status") in ("active", "incomplete", "past_due"))
    if starts_paid:
        from invoicing.services.subscriptions import subscription_bill_opening

        subscription_bill_opening(subscription_id=payload["subscription_id"])
    if payload.get("invoice_now"):
        from invoicing.services.subscriptions import subscription_bill_now

        subscription_bill_now(subscription_id=payload["subscription_id"])


@handler("billing.subscription.canceled")
def bill_final_usage(event: OutboxEvent) -> None:
    """Canceled before the end of its period: its usage up to then is billed now."""
    from invoicing.services.subscriptions import subscription_bill_final

    subscription_bill_final(subscription_id=event.payload["subscription_id"])
