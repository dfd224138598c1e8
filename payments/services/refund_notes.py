"""The paper trail of a refund: the credit note that says, on the invoice, that the money went back.

A refund made from a credit note (`refund_for_credit_note`) already has one. Any other refund of an
invoice payment (from the admin, the API, or made in the Stripe dashboard) gets one of its own,
with the `refund` credit method, for the amount refunded, as the refund succeeds: so the invoice,
its credit notes, the console, the PDF and the account's balance agree. A chargeback (a lost
dispute) is not a refund we chose: the invoice records it as `amount_reversed` instead.
"""

from __future__ import annotations

import logging

from django.db.models import Sum

from invoicing.models import CreditMethod, CreditNoteStatus, Invoice
from invoicing.selectors import invoice_credit_left
from payments.models import Payment, Refund

logger = logging.getLogger(__name__)

DISPUTE_PREFIX = "dispute:"


def refund_note_room(payment: Payment) -> int:
    """How much of a refund of this payment a credit note can still cover on its invoice: neither more
    than what is left to credit on the invoice, nor more than was paid on it and not refunded yet."""
    invoice = Invoice.objects.get(pk=payment.invoice_id)
    refunded = (invoice.credit_notes.filter(status=CreditNoteStatus.ISSUED, credit_method=CreditMethod.REFUND)
                .aggregate(total=Sum("total"))["total"] or 0)
    return max(0, min(invoice_credit_left(invoice=invoice), invoice.amount_paid - refunded))


def refund_credit_note_ensure(*, refund: Refund, payment: Payment) -> int | None:
    """The credit note of a refund that succeeds now: its own, or a new one (in the caller's transaction,
    which holds the payment's and the refund's row locks). Returns its id, or None for a chargeback or
    a refund the invoice cannot take a credit note for (logged: finance sees it in the ledger check)."""
    if refund.credit_note_id or refund.reference.startswith(DISPUTE_PREFIX):
        return refund.credit_note_id
    from invoicing.services import credit_note_create

    amount = min(refund.amount, refund_note_room(payment))
    if amount <= 0:
        logger.warning("payments: refund %s: no credit note (nothing left to credit on invoice %s)",
                       refund.reference, payment.invoice_id)
        return None
    if amount < refund.amount:
        logger.warning("payments: refund %s: the credit note covers %s of %s", refund.reference, amount,
                       refund.amount)
    note = credit_note_create(invoice=payment.invoice_id, amount=amount, credit_method=CreditMethod.REFUND,
                              reason=refund.reason or "Refund")
    return note.pk


def refunds_paying_out(credit_note_id: int) -> list[Refund]:
    """The refunds a credit note was written for (made first, then documented by it): nothing more to pay."""
    return list(Refund.objects.filter(credit_note_id=credit_note_id)
                .exclude(reference__startswith=f"credit_note:{credit_note_id}:"))
