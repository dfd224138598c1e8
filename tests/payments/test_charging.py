"""Collecting invoices against localstripe: success, decline, 3-D Secure, timeouts, and no double charge."""

from datetime import timedelta

import pytest

from billing import tenancy
from payments.models import Payment
from payments.services import charging
from payments.services.charging import payment_collect, payments_pending_resolve

from .conftest import authenticate_3ds, make_event, outbox_events, signed_post, stripe_charges

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("Acme")


def reload(instance):
    with tenancy.operator_scope():
        return type(instance).objects.get(pk=instance.pk)


def collect(invoice):
    with tenancy.operator_scope():
        return payment_collect(invoice_id=invoice.pk)


def test_collecting_an_invoice_charges_the_default_card_once_and_pays_it(account, customer_card, open_invoice,
                                                                         stripe_client):
    method = customer_card(account)
    invoice = open_invoice(account, "119.00")
    payment = collect(invoice)
    assert (payment.status, payment.amount, payment.currency, payment.attempt) == ("succeeded", 11900, "USD", 1)
    assert payment.reference == f"invoice:{invoice.pk}:attempt:1"
    assert payment.payment_method_id == method.pk and payment.gateway_payment_id.startswith("pi_")
    assert (reload(invoice).status, reload(invoice).amount_paid) == ("paid", 11900)
    charges = stripe_charges(stripe_client, payment.gateway_customer_id)
    assert [(c.amount, c.payment_intent) for c in charges] == [(11900, payment.gateway_payment_id)]
    assert [e.payload["payment_id"] for e in outbox_events("billing.payment.succeeded")] == [payment.pk]
    assert len(outbox_events("billing.invoice.paid")) == 1
    # Collection requested again (the outbox delivers at least once): nothing more happens.
    assert collect(invoice) is None
    assert len(stripe_charges(stripe_client, payment.gateway_customer_id)) == 1


def test_the_collection_request_event_is_what_starts_it(account, customer_card, open_invoice,
                                                        django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch

    customer_card(account)
    invoice = open_invoice(account)
    with tenancy.operator_scope(), django_capture_on_commit_callbacks(execute=True):
        outbox_deliver_batch()
    assert reload(invoice).status == "paid"


def test_a_declined_card_fails_the_payment_and_starts_dunning(account, customer_card, open_invoice, stripe_client):
    customer_card(account, "4000000000000341")  # attaches fine, declines on charge
    invoice = open_invoice(account)
    payment = collect(invoice)
    assert (payment.status, payment.failure_code) == ("failed", "card_declined")
    assert payment.failure_message
    assert reload(invoice).status == "open"
    failed, = outbox_events("billing.payment.failed")
    assert failed.payload["invoice_id"] == invoice.pk and failed.payload["next_retry_at"]
    assert failed.payload["failure_message"] and failed.payload["amount"] == 10000
    with tenancy.operator_scope():
        assert Payment.objects.get(pk=payment.pk).invoice.dunning_case.failures == 1


def test_without_a_payment_method_the_invoice_waits_and_is_charged_when_one_is_added(
        account, open_invoice, customer_card, django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch

    invoice = open_invoice(account)
    assert collect(invoice) is None
    with tenancy.operator_scope():
        assert not Payment.objects.filter(invoice=invoice).exists()
        outbox_deliver_batch()
    customer_card(account)
    with tenancy.operator_scope(), django_capture_on_commit_callbacks(execute=True):
        outbox_deliver_batch()  # billing.payment_method.added
    assert reload(invoice).status == "paid"


def test_3d_secure_requires_action_emails_a_link_and_completes_by_webhook(
        account, customer_card, open_invoice, stripe_client, client, django_capture_on_commit_callbacks,
        stripe_shapes, django_user_model, mailoutbox, localstripe_url):
    from billing.outbox import outbox_deliver_batch
    from billing.services import membership_add

    owner = django_user_model.objects.create_user("owner", email="owner@example.com", password="x")
    with tenancy.operator_scope():
        membership_add(account=account, user=owner, role="owner")
    customer_card(account, "4000000000003220", via_setup=False)
    invoice = open_invoice(account)
    payment = collect(invoice)
    assert payment.status == "requires_action" and payment.next_check_at
    with tenancy.operator_scope():
        outbox_deliver_batch()
    email = next(m for m in mailoutbox if "confirm your payment" in m.subject)
    assert email.to == ["owner@example.com"]
    # The hosted page's challenge (no sign-in needed), the amount as people read it.
    assert f"/payments/{payment.pk}/authenticate/" in email.body and "/invoices/hosted/" in email.body
    assert f"the payment of $100.00 for invoice {invoice.number}." in email.body

    # The customer authenticates in the browser (Stripe.js); Stripe then reports the outcome.
    intent = stripe_client.v1.payment_intents.retrieve(payment.gateway_payment_id)
    authenticate_3ds(localstripe_url, intent.id, intent.client_secret)
    succeeded = make_event(stripe_shapes, "payment_intent.succeeded", {**stripe_shapes["payment_intent"],
                                                                       "id": intent.id, "status": "succeeded"})
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_post(client, succeeded).status_code == 200
    assert reload(payment).status == "succeeded"
    assert reload(invoice).status == "paid"


def test_a_crash_between_the_charge_and_saving_it_never_charges_twice(account, customer_card, open_invoice,
                                                                      stripe_client, monkeypatch):
    customer_card(account)
    invoice = open_invoice(account, "42.00")
    real_apply = charging.payment_apply_result

    def process_dies(**kwargs):
        raise SystemExit("killed after Stripe charged, before we saved")

    monkeypatch.setattr(charging, "payment_apply_result", process_dies)
    with pytest.raises(SystemExit):
        collect(invoice)
    with tenancy.operator_scope():
        payment = Payment.objects.get(invoice=invoice)
    assert (payment.status, payment.gateway_payment_id) == ("pending", "")  # what was saved before the crash
    assert len(stripe_charges(stripe_client, payment.gateway_customer_id)) == 1  # but Stripe charged

    monkeypatch.setattr(charging, "payment_apply_result", real_apply)
    retried = collect(invoice)  # the outbox replays the collection request
    assert retried.pk == payment.pk and retried.status == "succeeded"
    assert len(stripe_charges(stripe_client, payment.gateway_customer_id)) == 1
    assert (reload(invoice).status, reload(invoice).amount_paid) == ("paid", 4200)


def test_the_janitor_finds_the_charge_after_a_crash(account, customer_card, open_invoice, stripe_client,
                                                    monkeypatch):
    from django.utils import timezone

    customer_card(account)
    invoice = open_invoice(account, "7.00")
    monkeypatch.setattr(charging, "payment_apply_result", lambda **kw: (_ for _ in ()).throw(SystemExit("dead")))
    with pytest.raises(SystemExit):
        collect(invoice)
    monkeypatch.undo()
    with tenancy.operator_scope():
        Payment.objects.filter(invoice=invoice).update(next_check_at=timezone.now())
        assert payments_pending_resolve() == 1
        payment = Payment.objects.get(invoice=invoice)
    assert payment.status == "succeeded"
    assert len(stripe_charges(stripe_client, payment.gateway_customer_id)) == 1


def test_a_timeout_leaves_the_payment_pending_for_the_janitor(account, customer_card, open_invoice, settings,
                                                              stripe_client):
    from django.utils import timezone

    customer_card(account)
    invoice = open_invoice(account)
    good = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE, settings.STRIPE_MAX_NETWORK_RETRIES = "http://127.0.0.1:9", 0
    payment = collect(invoice)
    assert payment.status == "pending" and payment.checks == 1
    assert timezone.now() < payment.next_check_at <= timezone.now() + timedelta(minutes=5)
    with tenancy.operator_scope():
        assert payments_pending_resolve() == 0  # not due yet
        Payment.objects.filter(pk=payment.pk).update(next_check_at=timezone.now())
        assert payments_pending_resolve() == 1  # still down at the first check: the next one in an hour
        payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == "pending" and payment.checks == 2
    assert timezone.now() + timedelta(minutes=59) < payment.next_check_at <= timezone.now() + timedelta(hours=1)
    # A second collection while it is pending resumes the same attempt, never opens a second one.
    assert collect(invoice).pk == payment.pk
    payment = reload(payment)
    assert payment.checks == 3 and payment.next_check_at > timezone.now() + timedelta(hours=23)  # then daily
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=invoice).count() == 1
        Payment.objects.filter(pk=payment.pk).update(next_check_at=timezone.now())
    settings.STRIPE_API_BASE = good
    with tenancy.operator_scope():
        assert payments_pending_resolve() == 1
    assert reload(payment).status == "succeeded"
    assert len(stripe_charges(stripe_client, reload(payment).gateway_customer_id)) == 1


def test_send_invoice_invoices_are_not_charged(account, customer_card, stripe_gateway):
    from invoicing.services import invoice_finalize
    from tests.invoicing.factories import draft

    customer_card(account)
    with tenancy.operator_scope():
        invoice = invoice_finalize(invoice=draft(account, collection_method="send_invoice"))
    assert collect(invoice) is None
    with tenancy.operator_scope():
        assert not Payment.objects.filter(invoice=invoice).exists()


def test_shuffled_and_repeated_payment_events_complete_a_payment_we_failed_to_save(
        account, customer_card, open_invoice, stripe_shapes, stripe_client, client, monkeypatch,
        django_capture_on_commit_callbacks):
    import random

    customer_card(account)
    invoice = open_invoice(account, "12.00")
    monkeypatch.setattr(charging, "payment_apply_result", lambda **kw: (_ for _ in ()).throw(SystemExit("dead")))
    with pytest.raises(SystemExit):
        collect(invoice)
    monkeypatch.undo()
    with tenancy.operator_scope():
        payment = Payment.objects.get(invoice=invoice)
    charge, = stripe_charges(stripe_client, payment.gateway_customer_id)
    # Stripe's events about that charge, stale ones included, twice each and in any order.
    intent = {**stripe_shapes["payment_intent"], "id": charge.payment_intent,
              "metadata": {"reference": payment.reference}}
    events = [make_event(stripe_shapes, "payment_intent.requires_action", {**intent, "status": "requires_action"}),
              make_event(stripe_shapes, "payment_intent.payment_failed",
                         {**intent, "status": "requires_payment_method"}),
              make_event(stripe_shapes, "payment_intent.succeeded", {**intent, "status": "succeeded"}),
              make_event(stripe_shapes, "charge.succeeded", {**stripe_shapes["charge"], "id": charge.id,
                                                             "payment_intent": charge.payment_intent})]
    deliveries = events * 2
    random.Random(11).shuffle(deliveries)
    with django_capture_on_commit_callbacks(execute=True):
        for event in deliveries:
            assert signed_post(client, event).status_code == 200
    payment = reload(payment)
    assert (payment.status, payment.gateway_payment_id, payment.gateway_charge_id) == \
        ("succeeded", charge.payment_intent, charge.id)
    assert (reload(invoice).status, reload(invoice).amount_paid) == ("paid", 1200)
    assert len(outbox_events("billing.payment.succeeded")) == 1
    assert len(outbox_events("billing.invoice.paid")) == 1
    assert len(stripe_charges(stripe_client, payment.gateway_customer_id)) == 1
