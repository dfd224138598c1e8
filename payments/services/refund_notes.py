"""The paper trail of a refund: the credit note that says, on the invoice, that the money went back.

A refund made from a credit note (`refund_for_credit_note`) already has one. Any other refund of an
invoice payment (from the admin, the API, or made in the Stripe dashboard) gets one of its own,
with the `refund` credit method, for the amount refunded, as the refund succeeds: so the invoice,
its credit notes, the console, the PDF and the account's balance agree. A chargeback (a lost
dispute) is not a refund we chose: the invoice records it as `amount_reversed` instead.

Part of a payment that became credit (more than was due, or its invoice was paid meanwhile) is paid
back out of that credit first: the refund draws it from the balance (a consumption entry
`payments.refund:<payment>:<refund>`), and only the rest is credited on the invoice.
"""

from __future__ import annotations

import logging

from django.db.models import Sum

from billing.models import CreditEntry, CreditKind
from billing.selectors import credit_balance
from invoicing.models import CreditMethod, CreditNoteStatus, Invoice
from invoicing.selectors import invoice_credit_left
from payments.models import Payment, Refund

logger = logging.getLogger(__name__)

DISPUTE_PREFIX = "dispute:"
CREDIT_BACK_PREFIX = "payments.refund:"


def credit_back_reference(payment: Payment, refund: Refund) -> str:
    return f"{CREDIT_BACK_PREFIX}{payment.pk}:{refund.pk}"


def payment_credit_left(payment: Payment) -> int:
    """What of this payment became credit and is still on the balance, not yet paid back by a refund."""
    entries = CreditEntry.objects.filter(account_id=payment.account_id, currency=payment.currency)
    granted = (entries.filter(kind=CreditKind.GRANT, reference=payment.reference)
               .aggregate(total=Sum("amount"))["total"] or 0)
    if not granted:
        return 0
    paid_back = -(entries.filter(kind=CreditKind.CONSUMPTION, reference__startswith=f"{CREDIT_BACK_PREFIX}{payment.pk}:")
                  .aggregate(total=Sum("amount"))["total"] or 0)
    usable = credit_balance(account_id=payment.account_id).get(payment.currency, 0)
    return max(0, min(granted - paid_back, usable))


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
    from invoicing.credits import credit_apply
    from invoicing.services import credit_note_create

    back = min(refund.amount, payment_credit_left(payment))
    if back:  # the money had become credit: it goes back from there
        back = credit_apply(account_id=payment.account_id, currency=payment.currency, amount=back,
                            reference=credit_back_reference(payment, refund))
    if back == refund.amount:
        return None
    amount = min(refund.amount - back, refund_note_room(payment))
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
