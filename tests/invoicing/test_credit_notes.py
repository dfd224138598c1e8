"""Credit notes: by line or by amount, own series, to the amount due, the balance or a refund."""

from decimal import Decimal as D

import pytest

from billing.errors import InvalidTransition, ValidationFailed
from billing.models import OutboxEvent
from billing.selectors import credit_balance
from invoicing.models import TaxRate
from invoicing.services import credit_note_create, invoice_finalize, invoice_mark_paid
from tests.invoicing.factories import draft, profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(make_account, operator, settings):
    settings.OPERATOR_COUNTRY = "FR"
    TaxRate.objects.create(name="TVA 20 %", country="FR", percentage=D(20))
    account = make_account("Credit SAS")
    profile(account)
    return invoice_finalize(invoice=draft(account, ("Plan", 1, "100"), ("Seats", 2, "25"), currency="EUR"))


def test_a_partial_credit_by_line_reduces_what_is_due(invoice):
    plan_line = invoice.lines.get(description="Plan")
    note = credit_note_create(invoice=invoice, reason="Outage", lines=[{"line_id": plan_line.pk, "amount": 2500}])
    assert note.number.startswith("CN-") and note.number.endswith("-000001")
    assert (note.subtotal, note.tax_total, note.total, note.credit_method) == (2500, 500, 3000, "amount_due")
    invoice.refresh_from_db()
    assert (invoice.total, invoice.credited_total, invoice.amount_due) == (18000, 3000, 15000)
    event = OutboxEvent.objects.get(type="billing.credit_note.issued")
    assert event.payload["total"] == 3000 and event.payload["invoice_id"] == invoice.pk


def test_a_line_cannot_be_credited_beyond_what_is_left(invoice):
    plan_line = invoice.lines.get(description="Plan")
    credit_note_create(invoice=invoice, reason="first", lines=[{"line_id": plan_line.pk}])
    with pytest.raises(ValidationFailed) as error:
        credit_note_create(invoice=invoice, reason="again", lines=[{"line_id": plan_line.pk, "amount": 1}])
    assert "lines.0.amount" in error.value.fields


def test_a_full_credit_by_amount_pays_off_an_open_invoice(invoice):
    note = credit_note_create(invoice=invoice, reason="Cancelled order", amount=18000)
    assert (note.total, note.tax_total) == (18000, 3000)
    invoice.refresh_from_db()
    assert (invoice.amount_due, invoice.status) == (0, "paid")


def test_credit_on_a_paid_invoice_goes_to_the_balance_or_a_refund(invoice):
    invoice_mark_paid(invoice=invoice, reference="wire-1")
    note = credit_note_create(invoice=invoice, reason="Goodwill", amount=1200)
    assert note.credit_method == "balance"
    assert credit_balance(account_id=invoice.account_id) == {"EUR": 1200}
    refund = credit_note_create(invoice=invoice, reason="Refund", amount=6000, credit_method="refund")
    assert OutboxEvent.objects.filter(type="billing.credit_note.issued",
                                      payload__credit_note_id=refund.pk, payload__credit_method="refund").exists()
    with pytest.raises(ValidationFailed):
        credit_note_create(invoice=invoice, reason="Too much", amount=11000, credit_method="refund")


def test_credit_notes_need_a_reason_and_a_finalized_invoice(invoice):
    with pytest.raises(ValidationFailed) as error:
        credit_note_create(invoice=invoice, reason=" ", amount=100)
    assert "reason" in error.value.fields
    with pytest.raises(InvalidTransition):
        credit_note_create(invoice=draft(invoice.account), reason="x", amount=100)
