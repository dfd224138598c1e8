"""Rows of the webhooks' tenant table (deliveries) for one account (used by the RLS isolation test)."""

from django.db import transaction

from billing import outbox
from webhooks.models import WebhookEndpoint
from webhooks.services import deliveries_fan_out


def build(account):
    endpoint = WebhookEndpoint.objects.filter(description="tenant rows").first() or WebhookEndpoint.objects.create(
        url="https://hooks.example.com/billing", event_types=["*"], description="tenant rows", secret="whsec_eA==")
    with transaction.atomic():
        event = outbox.event_record(type="billing.customer.updated", account_id=account.pk,
                                    payload={"account_id": account.pk, "fields": ["name"]})
        assert deliveries_fan_out(event=event) >= 1 and endpoint.enabled
