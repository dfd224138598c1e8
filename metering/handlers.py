"""Outbox handlers of the metering app (imported by MeteringConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from billing import clock
from billing.outbox import handler
from billing.selectors import billing_contacts, email_opted_out
from metering.models import UsageAlert
from metering.services.alerts import EVENT_TYPE

EMAIL_TYPE = "billing_usage_threshold_reached"


def usage_email_contacts(account_id: int) -> list[str]:
    """The same contacts invoices go to (billing's lookup), unless the account opted out of these emails."""
    if email_opted_out(account_id, EMAIL_TYPE):
        return []
    return billing_contacts(account_id)


@handler(EVENT_TYPE)
def email_usage_threshold(event) -> None:
    """Email the billing contacts once per alert (a replayed event finds it already emailed)."""
    payload = event.payload
    with transaction.atomic():
        alert = UsageAlert.objects.select_for_update().filter(pk=payload.get("alert_id")).first()
        if alert is None or alert.emailed_at is not None:
            return
        contacts = usage_email_contacts(alert.account_id)
        if contacts:
            subject = f"Usage of {payload['metric']} reached {payload['threshold_percent']}% of your plan's limit"
            body = (
                f"Your usage of {payload['metric']} is {payload['usage']} of {payload['limit']} included "
                f"for the period {payload['period_start']} to {payload['period_end']} "
                f"({payload['threshold_percent']}% threshold, {payload['cap_mode']} cap).\n\n"
                f"See your usage: {settings.SITE_URL}/console/\n"
            )
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, contacts)
        alert.emailed_at = clock.now()
        alert.save(update_fields=["emailed_at"])
