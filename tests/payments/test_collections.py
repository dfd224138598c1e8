"""Dunning for every unpaid invoice, whatever the cause: a 3-D Secure challenge never completed, a bank
transfer not received, no card to charge; and paying by any route closes the case at once."""

from datetime import timedelta

import pytest

from billing import clock, tenancy
from billing.models import Subscription
from billing.outbox import outbox_deliver_batch
from invoicing.models import Invoice
from invoicing.services import (
    credit_note_create,
    invoice_finalize,
    invoice_mark_paid,
    invoice_record_payment,
)
from payments.models import DunningCase, Payment
from payments.services.charging import payment_collect, payments_pending_resolve
from payments.services.dunning import dunning_open_unpaid, dunning_retry_now
from tests.invoicing.factories import draft, profile, subscription

pytestmark = pytest.mark.django_db


def deliver():
    with tenancy.operator_scope():
        while outbox_deliver_batch():
            pass


def test_a_3d_secure_payment_never_confirmed_expires_as_failed_with_its_own_email_and_a_new_link(
        make_account, customer_card, open_invoice, settings, mailoutbox):
    settings.PAYMENT_REQUIRES_ACTION_EXPIRY_DAYS = 7
    account = make_account("Cautious")
    with tenancy.operator_scope():
        profile(account, email="ap@cautious.example")
        sub = subscription(account)
    customer_card(account, "4000000000003220", via_setup=False)
    start = clock.now()
    with clock.frozen(start):
        invoice = open_invoice(account, subscription=sub)
        with tenancy.operator_scope():
            payment = payment_collect(invoice_id=invoice.pk)
    assert payment.status == "requires_action"
    assert payment.action_expires_at == start + timedelta(days=7)
    with clock.frozen(start + timedelta(days=6)), tenancy.operator_scope():
        payments_pending_resolve()  # not yet: the billing clock decides, not the wall clock
        assert Payment.objects.get(pk=payment.pk).status == "requires_action"
    with clock.frozen(start + timedelta(days=7, minutes=1)), tenancy.operator_scope():
        payments_pending_resolve()
        expired = Payment.objects.get(pk=payment.pk)
        assert (expired.status, expired.failure_code) == ("canceled", "authentication_expired")
        case = DunningCase.objects.get(invoice=invoice)
        assert (case.status, case.cause, case.failures) == ("active", "authentication_expired", 1)
        assert case.next_retry_at is not None  # counts as a failure: retried on the schedule
        assert Subscription.objects.get(pk=sub.pk).status == "past_due"
    deliver()
    asked, = [m for m in mailoutbox if "confirm your payment" in m.subject]
    # the hosted page's challenge: no sign-in needed
    assert "$100.00" in asked.body and f"/payments/{payment.pk}/authenticate/" in asked.body and "/invoices/hosted/" in asked.body
    email, = [m for m in mailoutbox if "was not confirmed" in m.subject]
    assert email.to == ["ap@cautious.example"] and invoice.number in email.subject
    assert "/invoices/hosted/" in email.body and f"/payments/{payment.pk}/authenticate/" not in email.body


def test_a_bank_transfer_not_received_by_the_due_date_goes_to_dunning_and_marking_it_received_closes_it(
        make_account, operator):
    account = make_account("Transfers")
    sub = subscription(account)
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "80.00"), collection_method="send_invoice",
                                             subscription_id=sub.pk))
    with clock.frozen(clock.now() + timedelta(days=29)):
        assert dunning_open_unpaid() == 0  # not due yet
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert dunning_open_unpaid() == 1
        assert dunning_open_unpaid() == 0  # one case per invoice
        case = DunningCase.objects.get(invoice=invoice)
        assert (case.cause, case.status, case.failures, case.next_retry_at) == (
            "bank_transfer_not_received", "active", 0, None)
        assert Subscription.objects.get(pk=sub.pk).status == "past_due"
        invoice_mark_paid(invoice=invoice.pk, reference="TRF-2026-0042")
    case.refresh_from_db()
    assert case.status == "recovered" and case.closed_at is not None
    assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_no_card_under_charge_automatically_goes_to_dunning_and_a_card_added_pays_it(
        make_account, customer_card, open_invoice):
    account = make_account("Globex")
    invoice = open_invoice(account, "99.00")
    with tenancy.operator_scope():
        assert payment_collect(invoice_id=invoice.pk) is None  # nothing to charge: it waits
    with clock.frozen(clock.now() + timedelta(days=31)), tenancy.operator_scope():
        dunning_open_unpaid()
        assert DunningCase.objects.get(invoice=invoice).cause == "no_payment_method"
    customer_card(account)
    with tenancy.operator_scope():
        assert dunning_retry_now(account_id=account.pk) == 1
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"
        assert DunningCase.objects.get(invoice=invoice).status == "recovered"


@pytest.mark.parametrize("route", ["gateway_payment", "credit_note"])
def test_paying_by_any_route_closes_the_case_at_once(make_account, operator, route):
    account = make_account()
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "50.00"), collection_method="send_invoice"))
    with clock.frozen(clock.now() + timedelta(days=31)):
        dunning_open_unpaid()
    if route == "gateway_payment":  # a card payment, such as one made on the hosted invoice page
        invoice_record_payment(invoice=invoice.pk, amount=invoice.amount_due, payment_reference="pi_hosted_1")
    else:
        credit_note_create(invoice=invoice.pk, reason="Goodwill", amount=invoice.amount_due)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert DunningCase.objects.get(invoice=invoice).status == "recovered"
