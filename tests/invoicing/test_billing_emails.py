"""Billing emails from outbox events: HTML and text, localized, PDF attached, once, opt-out per type."""

import pytest
from django.core import mail

from billing.outbox import outbox_deliver_batch
from invoicing.models import SentEmail
from invoicing.services import customer_invoicing_update, invoice_finalize, invoice_mark_overdue
from invoicing.services.invoice_reminders import invoice_reminders_send
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account, operator, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Mailer")
    profile(account, email="ap@mailer.example")
    customer_invoicing_update(account=account, extra_recipients=["cfo@mailer.example"])
    return account


def deliver():
    while outbox_deliver_batch():
        pass


def test_invoice_generated_goes_to_billing_contacts_with_the_pdf(account):
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "49")))
    deliver()
    message, = [m for m in mail.outbox if invoice.number in m.subject]
    assert message.to == ["ap@mailer.example", "cfo@mailer.example"]
    assert "$49.00" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and invoice.number in html
    name, content, kind = message.attachments[0]
    assert (name, kind) == (f"{invoice.number}.pdf", "application/pdf") and content.startswith(b"%PDF")


def test_a_replayed_event_sends_nothing_more(account):
    invoice_finalize(invoice=draft(account))
    deliver()
    sent = len(mail.outbox)
    from billing.models import OutboxEvent
    from invoicing.handlers import email_invoice_generated

    email_invoice_generated(OutboxEvent.objects.get(type="billing.invoice.finalized"))
    assert len(mail.outbox) == sent
    assert SentEmail.objects.filter(type="billing_invoice_generated").count() == 1


def test_opted_out_types_are_not_sent(account):
    customer_invoicing_update(account=account, email_opt_outs=["billing_invoice_generated"])
    invoice_finalize(invoice=draft(account))
    deliver()
    assert not [m for m in mail.outbox if "Invoice INV-" in m.subject]


def test_emails_follow_the_customer_language(account):
    from billing import clock
    from tests.invoicing.factories import utc

    profile(account, preferred_language="fr")
    with clock.frozen(utc(2026, 1, 5)):
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "49")))
    with clock.frozen(utc(2026, 2, 10)):
        invoice_mark_overdue(invoice=invoice)  # the event alone: the email is the first reminder after the due date
        assert invoice_reminders_send() == 1
    deliver()
    overdue, = [m for m in mail.outbox if "retard" in m.subject]
    assert invoice.number in overdue.subject
    assert "4 février 2026" in overdue.body and "49,00" in overdue.body


def test_the_renewal_reminder_goes_once_seven_days_before(account):
    from datetime import timedelta

    from billing import clock
    from invoicing.services.reminders import renewal_reminders_record
    from tests.invoicing.factories import subscription, utc

    with clock.frozen(utc(2026, 1, 1)):
        sub = subscription(account, code="reminded", flat=2500)
    with clock.frozen(sub.current_period_end - timedelta(days=8)):
        assert renewal_reminders_record() == 0
    with clock.frozen(sub.current_period_end - timedelta(days=6)):
        assert renewal_reminders_record() == 1
        assert renewal_reminders_record() == 0
        deliver()
    reminder, = [m for m in mail.outbox if "renews on" in m.subject]
    assert "$25.00" in reminder.body and "February 1, 2026" in reminder.subject
