"""An invoice under a chargeback: disputed while the card network decides, then restored or reopened.

The payments app calls these as Stripe reports a dispute (payments/services/disputes.py): invoicing
sits below payments, so it hears of a dispute only through these two services. Each is one locked
move of the invoice's transition table (`TRANSITIONS`), audited, with its event.
"""

from __future__ import annotations

from django.db import transaction

from billing import clock
from billing.audit import audit_record
from billing.transitions import row_lock, transition
from invoicing.models import Invoice, InvoiceStatus
from invoicing.services.common import WITH_ACCOUNT, payload, state
from invoicing.services.transitions import TRANSITIONS, amount_due_of

S = InvoiceStatus
INVOICE_DISPUTED = "billing.invoice.disputed"
INVOICE_DISPUTE_CLOSED = "billing.invoice.dispute_closed"
# The states a dispute can be opened from: money reached the invoice (all of it, or part).
DISPUTABLE = (S.OPEN, S.PAID)


@transaction.atomic
def invoice_dispute_open(*, invoice: Invoice | int, dispute_reference: str) -> Invoice:
    """A payment of the invoice is disputed: the invoice reads disputed until the dispute closes.
    Idempotent: a disputed invoice (a second dispute, a replayed webhook) stays as it is."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    if invoice.status not in DISPUTABLE:
        return invoice  # disputed already, or void / uncollectible: nothing to mark
    transition(invoice, S.DISPUTED, table=TRANSITIONS, verb="dispute", action="invoice.disputed",
               reason=dispute_reference, event=INVOICE_DISPUTED,
               payload=lambda disputed: payload(disputed, dispute_reference=dispute_reference))
    _queue_pdf(invoice)
    return invoice


@transaction.atomic
def invoice_dispute_close(*, invoice: Invoice | int, dispute_reference: str, outcome: str, reversed_amount: int,
                          still_disputed: bool = False, write_off: bool = False) -> Invoice:
    """A dispute of one of its payments closed. `reversed_amount`: what a lost dispute took back, due again
    from the customer (or written off: the invoice becomes uncollectible for it). The invoice stays
    disputed while another dispute of its payments is open; otherwise a won dispute restores it (paid,
    or open for what was still due). The caller calls this once per dispute (its closing is final)."""
    invoice = row_lock(Invoice, invoice, related=WITH_ACCOUNT)
    before = state(invoice)
    if reversed_amount > 0:
        invoice.amount_reversed += reversed_amount
        invoice.amount_due = amount_due_of(invoice)
    reported = {"dispute": {"reference": dispute_reference, "outcome": outcome, "reversed_amount": reversed_amount}}
    close_payload = lambda closed: payload(  # noqa: E731
        closed, dispute_reference=dispute_reference, outcome=outcome, reversed_amount=reversed_amount,
        written_off=write_off and closed.status == S.UNCOLLECTIBLE)
    if invoice.status != S.DISPUTED or still_disputed:
        # Not (or still) disputed: only the amounts change (a dispute of an invoice voided meanwhile).
        invoice.save()
        audit_record(action="invoice.dispute_closed", instance=invoice, before=before,
                     after={**state(invoice), **reported})
        return invoice
    now = clock.now()
    if invoice.amount_due == 0:
        target, changes = S.PAID, {"paid_at": invoice.paid_at or now}
    elif write_off and reversed_amount > 0:
        target, changes = S.UNCOLLECTIBLE, {"uncollectible_at": now}
    else:
        target, changes = S.OPEN, {"paid_at": None}
    transition(invoice, target, table=TRANSITIONS, verb="close the dispute of", action="invoice.dispute_closed",
               before=before, audit=reported, changes=changes, event=INVOICE_DISPUTE_CLOSED, payload=close_payload)
    _queue_pdf(invoice)
    return invoice


def _queue_pdf(invoice: Invoice) -> None:
    """The stored PDF shows the status: render it again once the move commits."""
    from invoicing.tasks import invoice_render_pdf

    pk = invoice.pk
    transaction.on_commit(lambda: invoice_render_pdf.delay(pk))
