"""Outbox handlers of payments: what payments does when others (or payments itself) record an event.

Work that calls Stripe is handed to a Celery task after the outbox transaction
commits, so no database transaction stays open across a network call; emails go
out from here (delivered at least once).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from billing import conf as billing_conf
from billing.models import OutboxEvent
from billing.outbox import handler
from payments import conf, selectors

logger = logging.getLogger(__name__)


def _render_and_send(recipients: list[str], template: str, context: dict) -> int:
    if not recipients:
        return 0
    context = {**context, "operator_name": billing_conf.settings.OPERATOR_NAME, "site_url": settings.SITE_URL}
    subject = render_to_string(f"payments/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"payments/email/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def finance_emails() -> list[str]:
    return list(conf.settings.PAYMENTS_FINANCE_EMAILS) or [email for _, email in settings.ADMINS]


def _customer(event: OutboxEvent, template: str) -> None:
    _render_and_send(selectors.account_billing_emails(account_id=event.account_id), template, event.payload)


def _finance(event: OutboxEvent, template: str) -> None:
    _render_and_send(finance_emails(), template, {**event.payload, "event_type": event.type})


def _enqueue(task, *args) -> None:
    """Queue after the outbox commits. If the broker is down the periodic jobs catch up
    (collect_uncollected, dunning_retry_due), so a lost task delays work but loses none."""

    def send():
        try:
            task.delay(*args)
        except Exception:
            logger.warning("payments: could not queue %s%s; a periodic job will catch up", task.name, args)

    transaction.on_commit(send)


@handler("invoicing.collection_requested")
def collect_invoice(event: OutboxEvent) -> None:
    from payments.tasks import invoice_collect

    _enqueue(invoice_collect, event.payload["invoice_id"])


@handler("billing.credit_note.issued")
def refund_credit_note(event: OutboxEvent) -> None:
    """Refunded here, not in a task: nothing else would notice a lost task. The refund rows commit with
    the event; a refund whose answer is lost stays pending and the janitor resends it (same key)."""
    if event.payload.get("credit_method") != "refund":
        return
    from payments.services.refunds import refund_for_credit_note

    payload = event.payload
    refund_for_credit_note(credit_note_id=payload["credit_note_id"], invoice_id=payload["invoice_id"],
                           total=payload["total"], reason=payload.get("reason", ""))


@handler("billing.payment_method.added")
def retry_on_new_method(event: OutboxEvent) -> None:
    from payments.tasks import dunning_retry_account

    _enqueue(dunning_retry_account, event.account_id, event.payload.get("payment_method_id"))


@handler("billing.payment_method.expiring")
def email_payment_method_expiring(event: OutboxEvent) -> None:
    _customer(event, "payment_method_expiring")


@handler("billing.dispute.created")
@handler("billing.dispute.closed")
def email_finance_dispute(event: OutboxEvent) -> None:
    _finance(event, "finance_dispute")


@handler("billing.reconciliation.alert")
def email_finance_reconciliation(event: OutboxEvent) -> None:
    _finance(event, "finance_reconciliation_alert")


@handler("billing.payment.unapplied")
def email_finance_unapplied(event: OutboxEvent) -> None:
    from pricing.money import format_money

    payload = event.payload
    _render_and_send(finance_emails(), "finance_payment_unapplied", {
        **payload, "amount_text": format_money(payload["amount"], payload["currency"], "en"),
        "credited_text": format_money(payload.get("credited") or 0, payload["currency"], "en")})


@handler("billing.ledger.difference_found")
def email_finance_ledger_difference(event: OutboxEvent) -> None:
    """Once per event (invoicing's SentEmail row): a replayed event sends nothing."""
    from invoicing.emails import finance_alert_send
    from pricing.money import format_money

    def shown(minor, currency):
        return format_money(minor, currency, "en") if currency else str(minor)

    lines = [{**d, "reported_text": shown(d["reported"], d.get("currency")),
              "derived_text": shown(d["derived"], d.get("currency"))} for d in event.payload.get("differences", [])]
    finance_alert_send(event=event, email_type="finance_ledger_difference", context={
        "account_id": event.account_id, "differences": lines,
        "ledger_difference_id": event.payload.get("ledger_difference_id")})


@handler("billing.refund.failed")
def email_finance_refund_failed(event: OutboxEvent) -> None:
    from invoicing.documents.formatting import money

    payload = event.payload
    _render_and_send(finance_emails(), "finance_refund_failed",
                     {**payload, "amount_text": money(payload["amount"], payload["currency"], "en")})
