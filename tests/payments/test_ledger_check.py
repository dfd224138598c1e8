"""The daily ledger check: every account's reported balance against its entries; a difference is found, recorded
and sent to finance once, however often the job runs."""

import pytest

from billing import tenancy
from invoicing.models import Invoice, SentEmail
from invoicing.services import invoice_finalize
from payments.models import LedgerDifference
from payments.services.ledger import ledger_check_daily, ledger_differences
from tests.invoicing.factories import draft

from .conftest import outbox_events

pytestmark = pytest.mark.django_db


def test_an_injected_difference_is_found_and_finance_is_alerted_once(make_account, settings, mailoutbox):
    from billing.outbox import outbox_deliver_batch

    settings.PAYMENTS_FINANCE_EMAILS = ["finance@example.com"]
    honest, tampered = make_account("Honest"), make_account("Tampered")
    with tenancy.operator_scope():
        invoice_finalize(invoice=draft(honest, ("Plan", 1, "40.00")))
        invoice = invoice_finalize(invoice=draft(tampered, ("Plan", 1, "60.00")))
        assert ledger_check_daily() == (2, 0)
        # A posted amount edited in place, behind the services' back.
        Invoice.objects.filter(pk=invoice.pk).update(amount_due=5000)
        assert ledger_check_daily() == (2, 1)
        assert ledger_check_daily() == (2, 1)  # the next day: still different, finance already told
        outbox_deliver_batch()
        outbox_deliver_batch()
        found = ledger_differences(account_id=tampered.pk)
        row, = LedgerDifference.objects.all()
        assert SentEmail.objects.filter(type="finance_ledger_difference").count() == 1
    assert {(d["check"], d["reported"], d["derived"]) for d in found} == {
        ("invoice_amount_due", 5000, 6000), ("balance_due", 5000, 6000)}
    assert (row.account_id, row.differences) == (tampered.pk, found)
    event, = outbox_events("billing.ledger.difference_found")
    assert event.account_id == tampered.pk
    alert, = [m for m in mailoutbox if m.to == ["finance@example.com"]]
    assert f"account {tampered.pk}" in alert.subject
    assert "$50.00" in alert.body and "$60.00" in alert.body


def test_a_failed_refund_of_a_credit_note_is_a_difference(make_account, customer_card, open_invoice):
    """The credit note says the money went back; the refund failed: the customer is still owed it."""
    from invoicing.services import credit_note_create
    from payments.models import Refund
    from payments.services.charging import payment_collect

    account = make_account("Owed")
    customer_card(account)
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=open_invoice(account, "50.00").pk)
        note = credit_note_create(invoice=payment.invoice_id, reason="Outage", amount=1500, credit_method="refund")
        Refund.objects.create(account=account, payment=payment, amount=1500, currency="USD", status="failed",
                              reference=f"credit_note:{note.pk}:payment:{payment.pk}", credit_note_id=note.pk,
                              created_at=payment.created_at)
        found = ledger_differences(account_id=account.pk)
    assert [(d["check"], d["reported"], d["derived"]) for d in found] == [("refund_documented", 1500, 0)]
