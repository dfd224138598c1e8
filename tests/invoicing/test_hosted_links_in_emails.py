"""The invoice emails carry the invoice's hosted page (see, download, pay without signing in) while there is
something to pay: the new invoice, the overdue reminder and the failed payment; the link opens the page."""

import re

import pytest
from django.core import mail
from django.test import Client

from billing import tenancy
from billing.outbox import outbox_deliver_batch
from invoicing.hosted_links import HOSTED_INVOICE_PATH
from invoicing.services import customer_invoicing_update, invoice_finalize, invoice_mark_overdue
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s\"<]+" + re.escape(HOSTED_INVOICE_PATH) + r"[^\s\"</]+/")


@pytest.fixture
def account(make_account, operator, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    account = make_account("Mailer")
    profile(account, email="ap@mailer.example")
    customer_invoicing_update(account=account)
    return account


def deliver():
    while outbox_deliver_batch():
        pass


def links_in(message) -> set[str]:
    html, _ = message.alternatives[0]
    return set(LINK.findall(message.body)) | set(LINK.findall(html))


def test_the_new_invoice_email_links_its_hosted_page_which_opens_without_signing_in(account):
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "49")))
    deliver()
    message, = [m for m in mail.outbox if invoice.number in m.subject]
    link, = links_in(message)
    tenancy.reset()
    page = Client().get(link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert page.status_code == 200 and invoice.number in page.content.decode()


def test_the_overdue_reminder_links_the_hosted_page(account):
    from billing import clock
    from invoicing.services.invoice_reminders import invoice_reminders_send
    from tests.invoicing.factories import utc

    with clock.frozen(utc(2026, 1, 5)):
        invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "49")))
    with clock.frozen(utc(2026, 2, 10)):
        assert invoice_mark_overdue(invoice=invoice)
        invoice_reminders_send()  # the overdue email is the first reminder after the due date
    deliver()
    reminder = [m for m in mail.outbox if "overdue" in m.subject.lower()]
    assert reminder and links_in(reminder[-1])


def test_a_paid_invoice_email_has_no_pay_link(account):
    from invoicing.services.transitions import invoice_mark_paid

    invoice = invoice_mark_paid(invoice=invoice_finalize(invoice=draft(account, ("Plan", 1, "49"))), reference="T-1")
    mail.outbox.clear()
    from billing.models import OutboxEvent
    from invoicing.handlers import email_invoice_generated
    from invoicing.models import SentEmail

    SentEmail.objects.all().delete()
    email_invoice_generated(OutboxEvent.objects.filter(type="billing.invoice.finalized").last())
    message, = [m for m in mail.outbox if invoice.number in m.subject]
    assert not links_in(message)


def test_the_failed_payment_email_links_the_hosted_page_instead_of_the_console(account, settings):
    from billing.outbox import event_record

    settings.PAYMENTS_GATEWAY = "sandbox"
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "49")))
    event_record(account_id=account.pk, type="billing.payment.failed", payload={
        "payment_id": 1, "invoice_id": invoice.pk, "account_id": account.pk, "amount": 4900, "currency": "USD",
        "status": "failed", "failure_message": "Your card was declined."})
    deliver()
    failed = [m for m in mail.outbox if "Your card was declined." in m.body]
    assert failed and links_in(failed[-1])
    # The console is named only to add a card, which this account, with none, is asked to do.
    assert [line for line in failed[-1].body.splitlines() if "/console/payment-methods/" in line] == [
        line for line in failed[-1].body.splitlines() if "Add one so your next invoices are paid on time" in line]
