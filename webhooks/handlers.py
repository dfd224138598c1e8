"""Outbox handlers of the webhooks app: finance hears of an endpoint that a delivery disabled."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from billing import conf as billing_conf
from billing.models import OutboxEvent
from billing.outbox import handler
from invoicing.emails import finance_alert_recipients
from webhooks.services.endpoints import ENDPOINT_DISABLED

logger = logging.getLogger(__name__)


@handler(ENDPOINT_DISABLED)
def email_finance_endpoint_disabled(event: OutboxEvent) -> None:
    """To FINANCE_ALERT_EMAILS (else PAYMENTS_FINANCE_EMAILS, else ADMINS), in the operator's language. At least
    once: a retried event (another handler or sink failed) sends it again."""
    recipients = finance_alert_recipients()
    if not recipients:
        logger.warning("no finance alert recipient (FINANCE_ALERT_EMAILS): endpoint %s disabled, nobody told",
                       event.payload.get("endpoint_id"))
        return
    context = {**event.payload, "operator": billing_conf.operator_details(),
               "endpoint_url": settings.SITE_URL + reverse("admin:webhooks_webhookendpoint_change",
                                                           args=[event.payload["endpoint_id"]])}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("webhooks/email/endpoint_disabled.subject.txt", context).split())
        text = render_to_string("webhooks/email/endpoint_disabled.txt", context)
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
