"""Dunning to its end: retries 1, 3, 5 and 7 days after the first failure, past_due meanwhile, the final
action, a retry at once on a new payment method, and the per-account pause."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.models import Subscription
from invoicing.models import Invoice
from payments.models import DunningCase, Payment
from payments.services.charging import payment_collect
from payments.services.dunning import (
    dunning_pause,
    dunning_resume,
    dunning_retry_due,
    dunning_retry_now,
)

from .conftest import outbox_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(make_account, customer_card, open_invoice):
    """An active subscription whose invoice's card declines; returns (account, subscription, invoice)."""
    from tests.invoicing.factories import subscription

    def make(name="Acme"):
        account = make_account(name)
        customer_card(account, "4000000000000341")
        with tenancy.operator_scope():
            sub = subscription(account)
        invoice = open_invoice(account, "100.00", subscription=sub)
        return account, sub, invoice

    return make


def current(instance):
    with tenancy.operator_scope():
        return type(instance).objects.get(pk=instance.pk)


def case_of(invoice):
    with tenancy.operator_scope():
        return DunningCase.objects.get(invoice=invoice)


def run_retries_at(moment):
    with clock.frozen(moment), tenancy.operator_scope():
        return dunning_retry_due()


def test_dunning_retries_on_schedule_then_cancels_the_subscription(failing, settings):
    settings.DUNNING_FINAL_ACTION = "cancel_subscription"
    account, sub, invoice = failing()
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
    case = case_of(invoice)
    assert current(sub).status == "past_due"
    assert case.next_retry_at == start + timedelta(days=1)
    assert run_retries_at(start + timedelta(hours=23)) == 0  # not due yet
    for retries_done, (day, next_day) in enumerate([(1, 3), (3, 5), (5, 7)], start=1):
        assert run_retries_at(start + timedelta(days=day, minutes=1)) == 1
        case = case_of(invoice)
        assert (case.retries_done, case.status) == (retries_done, "active")
        assert case.next_retry_at == start + timedelta(days=next_day)
        assert current(sub).status == "past_due"
    assert run_retries_at(start + timedelta(days=7, minutes=1)) == 1
    case = case_of(invoice)
    assert (case.status, case.retries_done, case.failures, case.final_action) == \
        ("exhausted", 4, 5, "cancel_subscription")
    assert current(sub).status == "canceled"
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=invoice).count() == 5  # first try + 4 retries, never more
    assert run_retries_at(start + timedelta(days=30)) == 0
    failed = outbox_events("billing.payment.failed")
    assert len(failed) == 5 and failed[0].payload["next_retry_at"] and failed[-1].payload["next_retry_at"] is None
    assert [e.payload["final_action"] for e in outbox_events("billing.dunning.exhausted")] == ["cancel_subscription"]


def test_the_final_action_can_mark_the_invoice_uncollectible_instead(failing, settings):
    settings.DUNNING_FINAL_ACTION = "mark_uncollectible"
    settings.DUNNING_RETRY_DAYS = [1]
    account, sub, invoice = failing()
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
    run_retries_at(start + timedelta(days=2))
    assert current(invoice).status == "uncollectible"
    assert current(sub).status == "past_due"


def test_a_new_payment_method_retries_at_once_and_recovers(failing, customer_card):
    from payments.services.methods import payment_method_set_default

    account, sub, invoice = failing()
    with tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
    good = customer_card(account)  # not the default yet: the declining card still is
    with tenancy.operator_scope():
        payment_method_set_default(method=good)
        assert dunning_retry_now(account_id=account.pk) == 1
    assert current(invoice).status == "paid"
    assert current(sub).status == "active"
    case = case_of(invoice)
    assert (case.status, case.retries_done, case.next_retry_at) == ("recovered", 0, None)


def test_adding_a_method_triggers_the_retry_through_the_outbox(failing, stripe_client,
                                                               django_capture_on_commit_callbacks):
    from billing.outbox import outbox_deliver_batch
    from payments.models import PaymentMethod
    from payments.services.methods import payment_method_remove

    account, sub, invoice = failing()
    with tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        outbox_deliver_batch()
        payment_method_remove(method=PaymentMethod.objects.get(account=account))
    from .conftest import confirm_setup

    with tenancy.operator_scope():
        from payments.services.methods import (
            payment_method_setup_complete,
            payment_method_setup_start,
        )

        started = payment_method_setup_start(account=account)
        confirm_setup(stripe_client, started.setup.gateway_id)
        payment_method_setup_complete(setup=started.setup)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_deliver_batch()
    assert current(invoice).status == "paid"
    assert current(sub).status == "active"


def test_paused_dunning_neither_retries_nor_finishes_until_resumed(failing, settings):
    settings.DUNNING_RETRY_DAYS = [1]
    account, sub, invoice = failing()
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        dunning_pause(account=account, note="Customer is paying by transfer")
    assert run_retries_at(start + timedelta(days=2)) == 1  # due, but the claim is refused
    assert case_of(invoice).retries_done == 0
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=invoice).count() == 1
        dunning_resume(account=account)
    run_retries_at(start + timedelta(days=2))
    case = case_of(invoice)
    assert (case.status, case.retries_done) == ("exhausted", 1)
    assert current(sub).status == "canceled"


def test_an_invoice_paid_by_transfer_ends_dunning_and_reactivates(failing):
    from billing.outbox import outbox_deliver_batch
    from invoicing.services import invoice_mark_paid

    account, sub, invoice = failing()
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        invoice_mark_paid(invoice=invoice.pk, reference="wire 2026-001")
        outbox_deliver_batch()
    run_retries_at(start + timedelta(days=1, minutes=1))
    assert case_of(invoice).status == "recovered"
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=invoice).count() == 1
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"
        assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_an_invoice_voided_meanwhile_closes_its_case_without_charging(failing):
    from invoicing.services import invoice_void

    account, sub, invoice = failing()
    start = clock.now()
    with clock.frozen(start), tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        invoice_void(invoice=invoice.pk, reason="Billed in error")
    run_retries_at(start + timedelta(days=1, minutes=1))
    assert case_of(invoice).status == "closed"
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=invoice).count() == 1
