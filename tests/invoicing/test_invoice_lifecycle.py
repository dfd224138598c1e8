"""Drafts, finalization and the transitions draft -> open -> paid | void | uncollectible."""

from datetime import date, timedelta

import pytest

from billing import clock
from billing.errors import InvalidTransition, ValidationFailed
from billing.models import AuditEntry, OutboxEvent
from billing.services import credit_grant
from invoicing.models import Invoice
from invoicing.services import (
    customer_invoicing_update,
    invoice_discount_add,
    invoice_discount_remove,
    invoice_finalize,
    invoice_line_add,
    invoice_line_remove,
    invoice_mark_paid,
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_void,
    invoices_finalize_due,
    invoices_mark_overdue,
)
from tests.invoicing.factories import draft, profile, utc

pytestmark = pytest.mark.django_db


def events(kind):
    return list(OutboxEvent.objects.filter(type=kind).order_by("id"))


@pytest.fixture
def account(make_account, operator):
    return make_account("Acme")


def test_finance_edits_a_draft_and_totals_follow(account):
    invoice = draft(account, ("Consulting", 2, "150.00"))
    line = invoice_line_add(invoice=invoice, description="Travel", unit_price="80.50")
    assert Invoice.objects.get(pk=invoice.pk).subtotal == 38050
    discount = invoice_discount_add(invoice=invoice, description="Loyal customer", percent_off="10")
    invoice.refresh_from_db()
    assert (discount.amount, invoice.discount_total, invoice.total) == (3805, 3805, 34245)
    invoice_line_remove(invoice=invoice, line_id=line.pk)
    invoice_discount_remove(invoice=invoice, discount_id=discount.pk)
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.discount_total, invoice.total, invoice.amount_due) == (30000, 0, 30000, 30000)
    actions = set(AuditEntry.objects.filter(object_id=str(invoice.pk)).values_list("action", flat=True))
    assert {"invoice.line_added", "invoice.line_removed", "invoice.discount_added"} <= actions


def test_bad_one_off_lines_name_the_field(account):
    invoice = draft(account)
    with pytest.raises(ValidationFailed) as error:
        invoice_line_add(invoice=invoice, description="", unit_price="1.0000001", quantity=0)
    assert set(error.value.fields) == {"description", "quantity"}
    with pytest.raises(ValidationFailed) as error:
        invoice_line_add(invoice=invoice, description="x", unit_price="1.0000001")
    assert "unit_price" in error.value.fields


def test_finalization_numbers_snapshots_and_hands_over_to_collection(account):
    profile(account, tax_id="FR40303265045")
    customer_invoicing_update(account=account, net_terms_days=14)
    with clock.frozen(utc(2026, 3, 10, 12)):
        invoice = invoice_finalize(invoice=draft(account, ("Setup", 1, "99")))
    assert invoice.status == "open"
    assert invoice.number.startswith("INV-2026-")
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 10), date(2026, 3, 24))
    assert invoice.customer_snapshot["name"] == "Acme SAS"
    assert invoice.customer_snapshot["tax_id"] == "FR40303265045"
    assert invoice.operator_snapshot["name"]
    drafted, = events("billing.invoice.created")
    assert (drafted.payload["invoice_id"], drafted.payload["status"], drafted.payload["number"]) == (
        invoice.pk, "draft", None)
    finalized, = events("billing.invoice.finalized")
    assert finalized.payload["invoice_id"] == invoice.pk and finalized.payload["amount_due"] == 9900
    assert finalized.pk > drafted.pk
    collection, = events("invoicing.collection_requested")
    assert collection.payload["invoice_id"] == invoice.pk
    with pytest.raises(InvalidTransition):
        invoice_finalize(invoice=invoice)
    with pytest.raises(InvalidTransition):
        invoice_line_add(invoice=invoice, description="late", unit_price="1")


def test_send_invoice_collection_is_not_charged_automatically(account):
    invoice_finalize(invoice=draft(account, collection_method="send_invoice"))
    assert events("invoicing.collection_requested") == []


def test_credit_balance_applies_after_tax_and_never_below_zero(account):
    credit_grant(account=account, amount=15_000, currency="USD", reason="promo")
    first = invoice_finalize(invoice=draft(account, ("A", 1, "100")))
    assert (first.credit_applied, first.amount_due, first.status) == (10000, 0, "paid")
    second = invoice_finalize(invoice=draft(account, ("B", 1, "100")))
    assert (second.credit_applied, second.amount_due, second.status) == (5000, 5000, "open")
    invoice_void(invoice=second)
    third = invoice_finalize(invoice=draft(account, ("C", 1, "100")))
    assert third.credit_applied == 5000  # the voided invoice gave its credit back


def test_gateway_payments_are_idempotent_and_pay_the_invoice(account):
    invoice = invoice_finalize(invoice=draft(account, ("A", 1, "100")))
    invoice_record_payment(invoice=invoice, amount=4000, payment_reference="pi_1")
    invoice_record_payment(invoice=invoice, amount=4000, payment_reference="pi_1")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_due, invoice.status) == (4000, 6000, "open")
    with pytest.raises(ValidationFailed) as error:
        invoice_record_payment(invoice=invoice, amount=6001, payment_reference="pi_2")
    assert "amount" in error.value.fields
    invoice = invoice_record_payment(invoice=invoice, amount=6000, payment_reference="pi_2")
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    paid, = events("billing.invoice.paid")
    assert paid.payload["payment_reference"] == "pi_2"
    assert invoice_record_payment(invoice=invoice, amount=6000, payment_reference="pi_2").status == "paid"
    with pytest.raises(InvalidTransition):
        invoice_record_payment(invoice=invoice, amount=1, payment_reference="pi_3")


def test_mark_paid_out_of_band_with_reference(account):
    invoice = invoice_finalize(invoice=draft(account, collection_method="send_invoice"))
    with pytest.raises(ValidationFailed):
        invoice_mark_paid(invoice=invoice, reference=" ")
    invoice = invoice_mark_paid(invoice=invoice, reference="SEPA 2026-03-001")
    assert (invoice.status, invoice.payment_reference, invoice.amount_paid) == ("paid", "SEPA 2026-03-001", 10000)
    assert events("billing.invoice.paid")[0].payload["paid_out_of_band"] is True
    assert AuditEntry.objects.filter(action="invoice.marked_paid", object_id=str(invoice.pk)).exists()


def test_void_and_uncollectible_transitions(account):
    invoice = invoice_finalize(invoice=draft(account))
    invoice = invoice_mark_uncollectible(invoice=invoice, reason="dunning exhausted")
    assert invoice.status == "uncollectible"
    assert events("billing.invoice.uncollectible")[0].payload["reason"] == "dunning exhausted"
    invoice = invoice_void(invoice=invoice, reason="written off")
    assert (invoice.status, invoice.amount_due) == ("void", 0)
    assert len(events("billing.invoice.voided")) == 1
    assert invoice_void(invoice=invoice).status == "void"  # twice is harmless
    assert len(events("billing.invoice.voided")) == 1
    with pytest.raises(InvalidTransition):
        invoice_mark_uncollectible(invoice=invoice)
    with pytest.raises(InvalidTransition):
        invoice_void(invoice=draft(account))


def test_a_paid_invoice_cannot_be_voided(account):
    invoice = invoice_finalize(invoice=draft(account))
    invoice_mark_paid(invoice=invoice, reference="wire")
    with pytest.raises(InvalidTransition):
        invoice_void(invoice=invoice)


def test_overdue_is_marked_once(account):
    with clock.frozen(utc(2026, 1, 1)):
        invoice = invoice_finalize(invoice=draft(account))
    with clock.frozen(utc(2026, 1, 31, 12)):
        assert invoices_mark_overdue() == 0  # due on the 31st: not yet overdue
    with clock.frozen(utc(2026, 2, 1, 12)):
        assert invoices_mark_overdue() == 1
        assert invoices_mark_overdue() == 0
    overdue, = events("billing.invoice.overdue")
    assert overdue.payload["invoice_id"] == invoice.pk and overdue.payload["days_overdue"] == 1


def test_drafts_finalize_after_their_grace_period(account):
    start = utc(2026, 5, 1)
    waiting = draft(account, finalize_after=start + timedelta(hours=1))
    manual = draft(account)
    with clock.frozen(start + timedelta(minutes=59)):
        assert invoices_finalize_due() == 0
    with clock.frozen(start + timedelta(hours=1)):
        assert invoices_finalize_due() == 1
        assert invoices_finalize_due() == 0
    waiting.refresh_from_db()
    manual.refresh_from_db()
    assert (waiting.status, manual.status) == ("open", "draft")
