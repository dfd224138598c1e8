"""Outbox handlers of the metering app (imported by MeteringConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from billing import clock
from billing.outbox import handler
from metering.models import UsageAlert
from metering.services.alerts import EVENT_TYPE

EMAIL_TYPE = "billing_usage_threshold_reached"


def billing_contacts(account_id: int) -> list[str]:
    """The same contacts invoices go to (invoicing.customers), unless the account opted out of these emails."""
    from billing.models import Account
    from invoicing.customers import billing_contacts as invoicing_contacts
    from invoicing.models import CustomerInvoicing

    prefs = CustomerInvoicing.objects.filter(account_id=account_id).first()
    if prefs is not None and EMAIL_TYPE in (prefs.email_opt_outs or []):
        return []
    return invoicing_contacts(Account.objects.get(pk=account_id))


@handler(EVENT_TYPE)
def email_usage_threshold(event) -> None:
    """Email the billing contacts once per alert (a replayed event finds it already emailed)."""
    payload = event.payload
    with transaction.atomic():
        alert = UsageAlert.objects.select_for_update().filter(pk=payload.get("alert_id")).first()
        if alert is None or alert.emailed_at is not None:
            return
        contacts = billing_contacts(alert.account_id)
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
