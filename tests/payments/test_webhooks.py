"""POST /webhooks/stripe/: signatures, storage, duplicates, shuffled delivery, failures and reprocessing."""

import json
import random
import time

import pytest

from billing import tenancy
from payments.models import PaymentMethod, WebhookEvent, WebhookStatus

from .conftest import confirm_setup, make_event, signed_post

pytestmark = pytest.mark.django_db


def stored(event_id):
    with tenancy.operator_scope():
        return WebhookEvent.objects.filter(event_id=event_id).first()


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Deliver like Stripe does; the Celery task (eager in tests) runs when the request's transaction commits."""

    def send(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return signed_post(client, payload, **kwargs)

    return send


@pytest.fixture
def account_with_card(stripe_gateway, stripe_client, make_account):
    """An account with a Stripe customer and one card stored; returns (account, customer id, method)."""
    from payments.services.methods import payment_method_setup_complete, payment_method_setup_start

    def make(name="Acme"):
        account = make_account(name)
        with tenancy.operator_scope():
            started = payment_method_setup_start(account=account)
            confirm_setup(stripe_client, started.setup.gateway_id)
            setup = payment_method_setup_complete(setup=started.setup)
            return account, stripe_client.v1.payment_methods.retrieve(setup.payment_method.gateway_id).customer, \
                setup.payment_method

    return make


def test_a_bad_signature_is_refused_and_nothing_is_stored(stripe_gateway, stripe_shapes, deliver):
    event = make_event(stripe_shapes, "customer.updated", stripe_shapes["customer"])
    response = deliver(event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert stored(event["id"]) is None
    assert deliver(event, signature="t=123,v1=deadbeef").status_code == 400
    assert deliver(event, signature="").status_code == 400
    assert stored(event["id"]) is None


def test_a_tampered_body_is_refused(stripe_gateway, stripe_shapes, client):
    import stripe

    event = make_event(stripe_shapes, "customer.updated", stripe_shapes["customer"])
    header = stripe.WebhookSignature.generate_signature_header(json.dumps(event), "whsec_test_secret")
    event["type"] = "customer.deleted"
    response = client.post("/webhooks/stripe/", data=json.dumps(event), content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert stored(event["id"]) is None


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_timestamps_outside_the_tolerance_are_refused_both_ways(stripe_gateway, stripe_shapes, deliver, skew):
    event = make_event(stripe_shapes, "customer.updated", stripe_shapes["customer"])
    assert deliver(event, timestamp=int(time.time()) + skew).status_code == 400
    assert stored(event["id"]) is None


def test_a_timestamp_within_the_tolerance_is_accepted(stripe_gateway, stripe_shapes, deliver):
    event = make_event(stripe_shapes, "customer.updated", stripe_shapes["customer"])
    assert deliver(event, timestamp=int(time.time()) - 200).status_code == 200


def test_an_unsigned_configuration_refuses_everything(settings, stripe_gateway, stripe_shapes, deliver):
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = make_event(stripe_shapes, "customer.updated", stripe_shapes["customer"])
    assert deliver(event).status_code == 400


def test_unhandled_types_are_stored_and_marked_ignored(stripe_gateway, stripe_shapes, deliver):
    event = make_event(stripe_shapes, "plan.created", {"id": "plan_x", "object": "plan"})
    response = deliver(event)
    assert response.status_code == 200 and response.json() == {"received": True, "id": event["id"],
                                                               "duplicate": False}
    row = stored(event["id"])
    assert row.status == WebhookStatus.IGNORED and row.payload == event


def test_a_redelivered_event_is_acknowledged_and_not_processed_again(stripe_gateway, stripe_shapes, deliver,
                                                                      account_with_card):
    account, customer_id, method = account_with_card()
    obj = {**stripe_shapes["payment_method"], "id": method.gateway_id, "customer": customer_id}
    event = make_event(stripe_shapes, "payment_method.updated", obj)
    assert deliver(event).json()["duplicate"] is False
    first = stored(event["id"])
    assert (first.status, first.attempts, first.account_id) == (WebhookStatus.PROCESSED, 1, account.pk)
    again = deliver(event)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert stored(event["id"]).attempts == 1
    with tenancy.operator_scope():
        assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1


def test_shuffled_attach_detach_events_end_in_stripes_current_state(stripe_gateway, stripe_client, stripe_shapes,
                                                                    deliver, account_with_card):
    account, customer_id, method = account_with_card()
    # In Stripe: detached, then attached again, then detached for good.
    stripe_client.v1.payment_methods.detach(method.gateway_id)
    stripe_client.v1.payment_methods.attach(method.gateway_id, params={"customer": customer_id})
    stripe_client.v1.payment_methods.detach(method.gateway_id)
    obj = {**stripe_shapes["payment_method"], "id": method.gateway_id}
    events = [make_event(stripe_shapes, t, {**obj, "customer": c}) for t, c in [
        ("payment_method.detached", None), ("payment_method.attached", customer_id),
        ("payment_method.detached", None)]]
    random.Random(7).shuffle(events)
    events.append(events[0])  # and one duplicate
    for event in events:
        assert deliver(event).status_code == 200
    with tenancy.operator_scope():
        assert PaymentMethod.objects.get(pk=method.pk).removed_at is not None


def test_an_attach_arriving_after_the_detach_does_not_resurrect_the_method(stripe_gateway, stripe_client,
                                                                           stripe_shapes, deliver, account_with_card):
    account, customer_id, method = account_with_card()
    stripe_client.v1.payment_methods.detach(method.gateway_id)
    obj = {**stripe_shapes["payment_method"], "id": method.gateway_id}
    deliver(make_event(stripe_shapes, "payment_method.detached", {**obj, "customer": None}))
    deliver(make_event(stripe_shapes, "payment_method.attached", {**obj, "customer": customer_id}))
    with tenancy.operator_scope():
        assert PaymentMethod.objects.get(pk=method.pk).removed_at is not None


def test_a_method_attached_in_the_dashboard_is_recorded(stripe_gateway, stripe_client, stripe_shapes, deliver,
                                                        account_with_card):
    account, customer_id, _ = account_with_card()
    new = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "5555555555554444", "exp_month": 3, "exp_year": 2031, "cvc": "123"}})
    stripe_client.v1.payment_methods.attach(new.id, params={"customer": customer_id})
    deliver(make_event(stripe_shapes, "payment_method.attached", {**stripe_shapes["payment_method"], "id": new.id,
                                                                  "customer": customer_id}))
    with tenancy.operator_scope():
        method = PaymentMethod.objects.get(gateway_id=new.id)
    assert (method.account_id, method.last4, method.exp_year, method.is_default) == (account.pk, "4444", 2031, False)


def test_setup_intent_events_complete_the_setup_in_any_order(stripe_gateway, stripe_client, stripe_shapes, deliver,
                                                            make_account):
    from payments.models import PaymentSetup
    from payments.services.methods import payment_method_setup_start

    account = make_account("Acme")
    with tenancy.operator_scope():
        started = payment_method_setup_start(account=account)
    confirm_setup(stripe_client, started.setup.gateway_id)
    obj = {**stripe_shapes["setup_intent"], "id": started.setup.gateway_id}
    # A stale failure notice arrives after the success: the current state (succeeded) wins.
    deliver(make_event(stripe_shapes, "setup_intent.succeeded", {**obj, "status": "succeeded"}))
    deliver(make_event(stripe_shapes, "setup_intent.setup_failed", {**obj, "status": "requires_payment_method"}))
    with tenancy.operator_scope():
        setup = PaymentSetup.objects.get(pk=started.setup.pk)
        assert setup.status == "succeeded" and setup.payment_method.is_default


def test_customer_default_changed_in_stripe_is_followed(stripe_gateway, stripe_client, stripe_shapes, deliver,
                                                         account_with_card):
    account, customer_id, first = account_with_card()
    second = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 1, "exp_year": 2033, "cvc": "123"}})
    stripe_client.v1.payment_methods.attach(second.id, params={"customer": customer_id})
    stripe_client.v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": second.id}})
    customer_event = make_event(stripe_shapes, "customer.updated", {**stripe_shapes["customer"], "id": customer_id})
    # customer.updated before payment_method.attached: the method is read from Stripe and recorded.
    deliver(customer_event)
    assert stored(customer_event["id"]).status == WebhookStatus.PROCESSED
    deliver(make_event(stripe_shapes, "payment_method.attached", {**stripe_shapes["payment_method"],
                                                                  "id": second.id, "customer": customer_id}))
    with tenancy.operator_scope():
        assert PaymentMethod.objects.get(gateway_id=second.id).is_default
        assert not PaymentMethod.objects.get(pk=first.pk).is_default
        assert PaymentMethod.objects.filter(account=account, removed_at__isnull=True).count() == 2


def test_customer_deleted_in_stripe_forgets_the_customer_and_its_methods(stripe_gateway, stripe_client,
                                                                          stripe_shapes, deliver, account_with_card):
    from payments.models import GatewayCustomer

    account, customer_id, method = account_with_card()
    stripe_client.v1.customers.delete(customer_id)
    deliver(make_event(stripe_shapes, "customer.deleted", {**stripe_shapes["deleted_customer"], "id": customer_id}))
    with tenancy.operator_scope():
        assert GatewayCustomer.objects.get(customer_id=customer_id).deleted_at is not None
        assert PaymentMethod.objects.get(pk=method.pk).removed_at is not None


def test_a_failing_handler_records_the_traceback_and_is_retried_later(stripe_gateway, stripe_shapes, deliver,
                                                                     account_with_card, settings):
    from payments.services.webhooks import webhook_events_process_due

    account, customer_id, method = account_with_card()
    event = make_event(stripe_shapes, "payment_method.updated", {**stripe_shapes["payment_method"],
                                                                 "id": method.gateway_id, "customer": customer_id})
    good_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE, settings.STRIPE_MAX_NETWORK_RETRIES = "http://127.0.0.1:9", 0  # Stripe is down
    assert deliver(event).status_code == 200  # acknowledged all the same
    row = stored(event["id"])
    assert row.status == WebhookStatus.FAILED and "GatewayUnavailable" in row.traceback
    assert row.next_attempt_at is not None
    settings.STRIPE_API_BASE = good_base
    with tenancy.operator_scope():
        WebhookEvent.objects.filter(pk=row.pk).update(next_attempt_at=row.received_at)
        assert webhook_events_process_due() == 1
    row = stored(event["id"])
    assert (row.status, row.attempts, row.traceback) == (WebhookStatus.PROCESSED, 2, "")


def test_stripe_sync_events_fetches_missed_events_and_skips_known_ones(stripe_gateway, stripe_client, deliver,
                                                                       capsys):
    from django.core.management import call_command

    customer = stripe_client.v1.customers.create(params={"name": "Missed"})  # emits customer.created
    call_command("stripe_sync_events", "--since", "10m")
    with tenancy.operator_scope():
        events = list(WebhookEvent.objects.filter(object_id=customer.id))
    assert [e.type for e in events] == ["customer.created"]
    assert events[0].status == WebhookStatus.IGNORED
    first_output = capsys.readouterr().out
    call_command("stripe_sync_events", "--since", "10m")
    assert "0 new" in capsys.readouterr().out and "new" in first_output
    with tenancy.operator_scope():
        assert WebhookEvent.objects.filter(object_id=customer.id).count() == 1


def test_client_secrets_are_not_kept_in_stored_events(stripe_gateway, stripe_shapes, deliver):
    intent = {"id": "seti_secret", "object": "setup_intent", "client_secret": "seti_secret_abc123",
              "status": "requires_payment_method", "metadata": {"nested": [{"client_secret": "x_secret_y"}]}}
    event = make_event(stripe_shapes, "setup_intent.created", intent)
    assert deliver(event).status_code == 200
    stored_payload = json.dumps(stored(event["id"]).payload)
    assert "seti_secret_abc123" not in stored_payload and "x_secret_y" not in stored_payload
    assert stored(event["id"]).payload["data"]["object"]["id"] == "seti_secret"
