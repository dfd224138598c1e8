"""The events the main flows record match the catalog's schemas, as the webhooks would send them: the demo
(accounts, the catalog, subscriptions, a card), the outbox's handlers (first invoices, collection), a month of
periodic jobs on the billing clock (renewals, bill runs, collection, overdue marking, usage alerts), and what
people do (credit, pause, resume, cancel, void, credit notes, refunds)."""

import json
from datetime import timedelta

import jsonschema
import pytest
from django.core.management import call_command
from django.db import transaction

from billing import clock, outbox, tenancy
from billing.jobs import run_periodic_jobs
from billing.models import Account, OutboxEvent, Subscription
from billing.models.outbox import OutboxStatus
from webhooks import catalog
from webhooks.services.deliveries import delivery_body

pytestmark = pytest.mark.django_db


def drain():
    """Run the outbox until nothing is due (its handlers record more events)."""
    for _ in range(50):
        if not outbox.outbox_deliver_batch(limit=500):
            break


def people_act():
    from billing.services import (
        credit_grant,
        subscription_cancel,
        subscription_pause,
        subscription_resume,
    )
    from invoicing.models import Invoice, InvoiceStatus
    from invoicing.services import invoice_void
    from invoicing.services.credit_notes import credit_note_create
    from payments.models import Payment, PaymentStatus
    from payments.services.charging import payment_collect
    from payments.services.refunds import refund_create
    from tests.invoicing.factories import draft

    acme, globex = Account.objects.get(name="Acme Corp"), Account.objects.get(name="Globex Inc")
    for invoice in Invoice.objects.filter(account=acme, status=InvoiceStatus.OPEN,
                                          collection_method="charge_automatically"):
        payment_collect(invoice_id=invoice.pk)
    credit_grant(account=globex, amount=500, currency="USD", reason="Goodwill")
    globex_subscription = Subscription.objects.get(account=globex)
    subscription_pause(subscription=globex_subscription)
    subscription_resume(subscription=Subscription.objects.get(pk=globex_subscription.pk))
    subscription_cancel(subscription=Subscription.objects.get(pk=globex_subscription.pk), at_period_end=False)
    with transaction.atomic():
        from invoicing.services import invoice_finalize

        extra = invoice_finalize(invoice=draft(acme, billing_reason="manual", collection_method="send_invoice"))
    invoice_void(invoice=extra, reason="Issued twice")
    paid = Invoice.objects.filter(account=acme, status=InvoiceStatus.PAID).order_by("id").first()
    if paid is not None:
        note = credit_note_create(invoice=paid, reason="Service outage", amount=100)
        payment = Payment.objects.filter(invoice=paid, status=PaymentStatus.SUCCEEDED).first()
        if payment is not None:
            refund_create(payment=payment, amount=100, reason="requested_by_customer", credit_note_id=note.pk)


def test_the_events_of_the_main_flows_match_their_schemas(settings):
    settings.FINANCE_ALERT_EMAILS = ["finance@example.com"]
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with tenancy.operator_scope():
        drain()
        start = clock.now()
        for days in (10, 20, 33, 45):
            with clock.frozen(start + timedelta(days=days)):
                run_periodic_jobs()
                drain()
        with clock.frozen(start + timedelta(days=46)):
            people_act()
            drain()
        events = list(OutboxEvent.objects.order_by("id"))
    problems, seen = [], set()
    for event in events:
        if not catalog.is_public(event.type):
            assert not event.type.startswith("billing."), f"{event.type} is recorded but not in the catalog"
            continue
        seen.add(event.type)
        body = json.loads(delivery_body(event))
        try:
            jsonschema.validate(body, catalog.envelope_schema(catalog.BY_TYPE[event.type]),
                                cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as exc:
            problems.append(f"{event.type} #{event.pk}: {exc.message} at {list(exc.absolute_path)}")
    assert problems == []
    assert all(event.status != OutboxStatus.FAILED for event in events)
    assert {"billing.payment.succeeded", "billing.invoice.paid", "billing.credit_note.issued",
            "billing.payment.refunded", "billing.usage.threshold_reached", "billing.invoice.overdue"} <= seen
    assert {"billing.account.created", "billing.plan.created", "billing.customer.updated",
            "billing.subscription.created", "billing.subscription.updated", "billing.subscription.paused",
            "billing.subscription.resumed", "billing.subscription.canceled", "billing.payment_method.added",
            "billing.invoice.created", "billing.invoice.finalized", "billing.invoice.voided", "billing.credit.granted"} <= seen
