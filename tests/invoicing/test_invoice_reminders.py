"""Reminders of invoices the customer pays themselves: on the schedule around the due date, each once, never
after payment, none for an invoice charged to a card; every email links the hosted invoice page and prompts
an account without a card to add one."""

from datetime import timedelta

import pytest
from django.core import mail

from billing import clock
from billing.outbox import outbox_deliver_batch
from invoicing.models import InvoiceReminder
from invoicing.services import invoice_finalize, invoice_mark_paid
from invoicing.services.invoice_reminders import invoice_reminders_send
from payments.models import PaymentMethod
from tests.invoicing.factories import draft, profile, utc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]
ISSUED = utc(2026, 3, 2, 9)  # due 30 days later: 1 April


def deliver():
    while outbox_deliver_batch():
        pass


def on(day, hour=10):
    return clock.frozen(utc(2026, *day, hour))


@pytest.fixture
def account(make_account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Globex")
    profile(account, email="ap@globex.example")
    return account


def issue(account, **fields):
    with clock.frozen(ISSUED):
        return invoice_finalize(invoice=draft(account, ("Plan", 1, "99.00"), **fields))


def steps(invoice):
    return list(InvoiceReminder.objects.filter(invoice=invoice).order_by("step").values_list("step", flat=True))


def test_reminders_follow_the_schedule_once_each(account):
    invoice = issue(account, collection_method="send_invoice")
    for day in [(3, d) for d in range(20, 32)] + [(4, d) for d in range(1, 31)]:
        with on(day):
            invoice_reminders_send()
            invoice_reminders_send()  # a second run the same day sends nothing more
    assert steps(invoice) == [-3, 1, 7, 14]
    sent = {r.step: r.sent_at.date().isoformat() for r in InvoiceReminder.objects.filter(invoice=invoice)}
    assert sent == {-3: "2026-03-29", 1: "2026-04-02", 7: "2026-04-08", 14: "2026-04-15"}
    deliver()
    soon, = [m for m in mail.outbox if "is due on" in m.subject]
    overdue = [m for m in mail.outbox if "is overdue" in m.subject]
    assert len(overdue) == 3 and all(invoice.number in m.subject for m in overdue)
    assert "/invoices/hosted/" in soon.body and "bank transfer" in soon.body
    assert "no card on file" not in soon.body  # send_invoice: no card prompt


def test_no_reminder_after_payment(account):
    invoice = issue(account, collection_method="send_invoice")
    with on((3, 29)):
        invoice_reminders_send()
    with on((3, 30)):
        invoice_mark_paid(invoice=invoice.pk, reference="TRF-1")
    for day in [(4, 2), (4, 8), (4, 15)]:
        with on(day):
            assert invoice_reminders_send() == 0
    assert steps(invoice) == [-3]


def test_a_jump_in_time_sends_only_the_latest_step_reached(account):
    invoice = issue(account, collection_method="send_invoice")
    with on((4, 10)):
        assert invoice_reminders_send() == 1
    with on((4, 12)):
        assert invoice_reminders_send() == 0  # the 1-day reminder is not sent after the 7-day one
    assert steps(invoice) == [7]


def test_charge_automatically_without_a_card_is_reminded_and_prompted_to_add_one(account):
    invoice = issue(account)  # charge_automatically, no card on file
    deliver()
    generated, = [m for m in mail.outbox if m.subject.startswith(f"Invoice {invoice.number}")]
    assert "/invoices/hosted/" in generated.body and "/console/payment-methods/" in generated.body
    with on((3, 29)):
        assert invoice_reminders_send() == 1
    deliver()
    reminder, = [m for m in mail.outbox if "is due on" in m.subject]
    assert "no card on file" in reminder.body and "/console/payment-methods/" in reminder.body


def test_an_invoice_charged_to_a_card_on_file_gets_no_reminder(account):
    PaymentMethod.objects.create(account=account, gateway="sandbox", gateway_id="pm_on_file", type="card",
                                 brand="visa", last4="4242", exp_month=12, exp_year=2034, is_default=True)
    invoice = issue(account)
    deliver()
    generated, = [m for m in mail.outbox if m.subject.startswith(f"Invoice {invoice.number}")]
    assert "no card on file" not in generated.body
    for day in [(3, 29), (4, 2)]:
        with on(day):
            assert invoice_reminders_send() == 0


def test_the_schedule_is_configurable(account, settings):
    settings.INVOICE_REMINDER_DAYS_BEFORE_DUE = []
    settings.INVOICE_REMINDER_DAYS_AFTER_DUE = [2]
    invoice = issue(account, collection_method="send_invoice")
    for offset in range(-5, 10):
        with clock.frozen(utc(2026, 4, 1, 10) + timedelta(days=offset)):
            invoice_reminders_send()
    assert steps(invoice) == [2]
