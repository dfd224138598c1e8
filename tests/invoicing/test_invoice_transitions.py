"""An invoice's status moves only as its transition table allows, on the single path and the set-based one alike:
the set-based finalization refuses what the table refuses, and writes the rows `invoice_finalize` writes."""

import re

import pytest
from django.db import transaction

from billing import clock
from billing.models import AuditEntry, OutboxEvent, Subscription
from billing.services import credit_grant, subscription_mark_past_due
from billing.transitions import TransitionRefused, moves_write
from invoicing.models import Invoice
from invoicing.selectors import tax_contexts_for_many
from invoicing.services import (
    credit_note_create,
    invoice_finalize,
    invoice_mark_paid,
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_void,
    invoices_finalize_many,
)
from invoicing.services.finalize_bulk import INVOICE_FIELDS, invoice_open
from invoicing.services.transitions import TRANSITIONS
from tests.helpers import moves_checked
from tests.invoicing.factories import draft, subscription, utc

pytestmark = pytest.mark.django_db

EXPECTED = {
    "draft": {"open", "paid"},
    "open": {"paid", "void", "uncollectible", "disputed"},
    "uncollectible": {"paid", "void"},
    "paid": {"disputed"},  # a chargeback; other corrections are credit notes
    "disputed": {"paid", "open", "uncollectible"},  # won, lost (due again), lost (written off)
    "void": set(),
}


@pytest.fixture
def account(make_account, operator):
    return make_account("Acme")


def test_every_move_the_table_allows_works_and_every_other_is_refused(account):
    invoice = invoice_finalize(invoice=draft(account))  # numbered: any status may be written on it
    assert moves_checked(TRANSITIONS, invoice, EXPECTED) == 36


@pytest.mark.parametrize(("make", "refused"), [
    (lambda account: invoice_void(invoice=draft(account)), ("draft", "void")),
    (lambda account: invoice_mark_uncollectible(invoice=draft(account)), ("draft", "uncollectible")),
    (lambda account: invoice_record_payment(invoice=draft(account), amount=100, payment_reference="pi_1"),
     ("draft", "paid")),
    (lambda account: invoice_finalize(invoice=invoice_finalize(invoice=draft(account))), ("open", "open")),
    (lambda account: invoice_mark_uncollectible(invoice=invoice_mark_paid(
        invoice=invoice_finalize(invoice=draft(account)), reference="wire")), ("paid", "uncollectible")),
])
def test_the_services_refuse_what_the_table_refuses_naming_both_states(account, make, refused):
    with pytest.raises(TransitionRefused) as error:
        make(account)
    assert (error.value.from_state, error.value.to_state) == refused
    assert error.value.status == 409 and all(state in error.value.message for state in refused)


def test_the_set_based_finalization_refuses_what_the_table_refuses(account):
    void = invoice_void(invoice=invoice_finalize(invoice=draft(account)))
    details, prefs, _ = tax_contexts_for_many({account})[account.pk]
    with pytest.raises(TransitionRefused) as error, transaction.atomic():
        invoice_open(void, details=details, prefs=prefs, grants=set(), issued=clock.now().date(), now=clock.now(),
                     operator={})
    assert (error.value.from_state, error.value.to_state) == ("void", "open")
    # A status set by hand, not by a move of the table, is not written set-based either.
    void.refresh_from_db()
    void.status = "open"
    with pytest.raises(RuntimeError, match="not set by a move"), transaction.atomic():
        moves_write([void], INVOICE_FIELDS)
    # The chunk leaves what it may not finalize as it is, and finalizes the rest.
    other = draft(account)
    assert invoices_finalize_many(invoice_ids=[void.pk, other.pk]) == [other.pk]
    void.refresh_from_db()
    assert void.status == "void"
    assert AuditEntry.objects.filter(action="invoice.finalized", object_id=str(void.pk)).count() == 1  # once, before


def written(account) -> dict:
    """What finalizing the account's one invoice wrote: the row, its audit entries, its events, and the
    subscription's status (ids and times of writing left out)."""
    invoice = Invoice.objects.get(account=account)

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in ("id", "invoice_id", "account_id", "number",
                                                                       "subscription_id")}
        if isinstance(value, str):
            return re.sub(r"\d+", "#", value)
        return value

    return {
        "invoice": (invoice.status, invoice.subtotal, invoice.total, invoice.credit_applied, invoice.amount_due,
                    invoice.issue_date, invoice.due_date, invoice.finalized_at, invoice.paid_at, invoice.language,
                    plain(invoice.customer_snapshot), invoice.series),
        "audit": sorted((e.action, repr(plain(e.before)), repr(plain(e.after)))
                        for e in AuditEntry.objects.filter(account_id=account.pk, action__startswith="invoice.")),
        "events": sorted((e.type, repr(plain(e.payload))) for e in OutboxEvent.objects.filter(
            account_id=account.pk, type__startswith="billing.invoice.")),
        "subscription": Subscription.objects.get(account=account).status,
    }


def test_single_and_set_based_finalization_write_the_same_rows_and_react_alike(make_account, operator):
    """Credit covers both invoices: each is finalized straight to paid, and the subscription it bills,
    past due, is active again in that same transaction (no outbox delivery in between)."""
    accounts = []
    with clock.frozen(utc(2026, 4, 1, 9)):
        for _ in range(2):
            account = make_account("Acme")
            sub = subscription(account)
            subscription_mark_past_due(subscription=sub)
            credit_grant(account=account, amount=50_000, currency="USD", reason="goodwill")
            accounts.append((account, draft(account, ("Plan", 1, "100.00"), subscription_id=sub.pk)))
    (single, single_draft), (chunk, chunk_draft) = accounts
    with clock.frozen(utc(2026, 4, 2, 9)):
        invoice_finalize(invoice=single_draft)
        assert invoices_finalize_many(invoice_ids=[chunk_draft.pk]) == [chunk_draft.pk]
    mine, theirs = written(single), written(chunk)
    assert mine == theirs
    assert mine["invoice"][0] == "paid" and mine["subscription"] == "active"


def test_a_credit_note_that_pays_an_invoice_moves_it_through_the_table(account):
    invoice = invoice_finalize(invoice=draft(account, ("Plan", 1, "100.00"), collection_method="send_invoice"))
    credit_note_create(invoice=invoice, reason="goodwill", amount=10_000)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    credited = AuditEntry.objects.get(action="invoice.credited", object_id=str(invoice.pk))
    assert (credited.before["status"], credited.after["status"]) == ("open", "paid")
    with pytest.raises(TransitionRefused):
        invoice_void(invoice=invoice)
