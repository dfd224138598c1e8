"""Billing emails: HTML and text, in the customer's language, to the account's billing
contacts, once per (event, type), unless the account opted out of that type; and alerts to the
operator's finance staff (`finance_alert_send`), in the operator's language, once per event too."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from billing import conf as billing_conf
from billing.models import Account, OutboxEvent
from billing.selectors import billing_contacts, email_opted_out
from invoicing import conf
from invoicing.customers import customer_details
from invoicing.models import SentEmail

logger = logging.getLogger(__name__)


def email_send(*, event: OutboxEvent, email_type: str, context: dict,
               attachments: list[tuple[str, bytes, str]] = ()) -> bool:
    """Render `templates/invoicing/email/<type>.{subject.txt,txt,html}` and send it. Returns
    whether it was sent now. A replayed event finds its SentEmail row and sends nothing."""
    account = Account.objects.filter(pk=event.account_id).first()
    if account is None or email_opted_out(account.pk, email_type):
        return False
    recipients = billing_contacts(account.pk)
    if not recipients:
        logger.info("no billing contact for account %s: %s not sent", account.pk, email_type)
        return False
    details = customer_details(account)
    language = details.language if details.language in dict(settings.LANGUAGES) else "en"
    context = {"customer_name": details.name, "operator": billing_conf.operator_details(),
               "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"invoicing/email/{email_type}.subject.txt", context).split())
        text = render_to_string(f"invoicing/email/{email_type}.txt", context)
        html = render_to_string(f"invoicing/email/{email_type}.html", context)
    try:
        with transaction.atomic():
            SentEmail.objects.create(account=account, type=email_type, event_id=event.pk, recipients=recipients,
                                     subject=subject[:300])
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
            message.attach_alternative(html, "text/html")
            for name, content, mimetype in attachments:
                message.attach(name, content, mimetype)
            # Sending last: if it fails, the row rolls back and the outbox retries the event.
            message.send()
    except IntegrityError:
        return False  # already sent for this event
    return True


def finance_alert_recipients() -> list[str]:
    """FINANCE_ALERT_EMAILS, else the payments app's PAYMENTS_FINANCE_EMAILS, else the Django ADMINS."""
    # Read from Django's settings, not payments.conf: invoicing sits below payments, which checks it.
    return (list(conf.settings.FINANCE_ALERT_EMAILS)
            or list(getattr(settings, "PAYMENTS_FINANCE_EMAILS", []))
            or [email for _, email in settings.ADMINS])


def finance_alert_send(*, event: OutboxEvent, email_type: str, context: dict) -> bool:
    """Render `templates/invoicing/email/<type>.{subject.txt,txt,html}` for finance staff and send it.
    No customer opt-out applies. Recorded as a SentEmail of the event's account: a replayed event
    sends nothing. Returns whether it was sent now."""
    recipients = finance_alert_recipients()
    if event.account_id is None:  # SentEmail belongs to an account: without one it could not be sent once
        raise ValueError(f"finance alert {email_type} of event {event.pk} names no account")
    if not recipients:
        logger.warning("no finance alert recipient (FINANCE_ALERT_EMAILS): %s of event %s not sent", email_type,
                       event.pk)
        return False
    context = {"operator": billing_conf.operator_details(), "site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"invoicing/email/{email_type}.subject.txt", context).split())
        text = render_to_string(f"invoicing/email/{email_type}.txt", context)
        html = render_to_string(f"invoicing/email/{email_type}.html", context)
    try:
        with transaction.atomic():
            SentEmail.objects.create(account_id=event.account_id, type=email_type, event_id=event.pk,
                                     recipients=recipients, subject=subject[:300])
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
            message.attach_alternative(html, "text/html")
            message.send()  # last: if it fails, the row rolls back and the outbox retries the event
    except IntegrityError:
        return False  # already sent for this event
    return True
