"""Outbox handlers of payments: the emails. Delivered at least once; a replay sends again, rarely."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from billing.models import OutboxEvent
from billing.outbox import handler
from payments import selectors


def _send(*, account_id: int, template: str, context: dict) -> int:
    recipients = selectors.account_billing_emails(account_id=account_id)
    if not recipients:
        return 0
    context = {**context, "operator_name": settings.OPERATOR["name"], "site_url": settings.SITE_URL}
    subject = render_to_string(f"payments/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"payments/email/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@handler("billing.payment_method.expiring")
def email_payment_method_expiring(event: OutboxEvent) -> None:
    _send(account_id=event.account_id, template="payment_method_expiring", context=event.payload)
