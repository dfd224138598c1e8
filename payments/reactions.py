"""What payments does, in the same transaction, when a payment or an invoice changes state.

Registered on the transition tables (`billing.transitions.on_transition`), so neither
charging nor invoicing imports dunning.

"Invoice paid" reaches dunning by this one route: the in-transaction reaction to the
invoice's move to paid, whatever paid it (one of our payments, a transfer finance
recorded, a credit note, credit at finalization, a single or a set-based path). Not the
outbox (`billing.invoice.paid` is still announced, for integrations and emails): the
subscription must be active again in the commit that settles its invoice, not seconds
later, or a customer who just paid would still be refused the service, and a dunning
retry due meanwhile would still see an open case.
"""

from __future__ import annotations

from billing.transitions import on_transition
from invoicing.models import InvoiceStatus
from invoicing.services.transitions import TRANSITIONS as INVOICE_TRANSITIONS
from payments.models import PAYMENT_TRANSITIONS, PaymentStatus
from payments.services.dunning import dunning_on_failure, dunning_on_invoice_paid
from payments.services.overdue import account_standing_refresh


@on_transition(INVOICE_TRANSITIONS, to=InvoiceStatus.PAID)
def invoice_paid_ends_dunning(invoice, move) -> None:
    dunning_on_invoice_paid(invoice=invoice)


@on_transition(INVOICE_TRANSITIONS, to=(InvoiceStatus.PAID, InvoiceStatus.VOID))
def invoice_settled_restores_standing(invoice, move) -> None:
    """Paying (or voiding) what was past due improves the account's standing in this commit: its quota
    checks follow as soon as it commits (billing/services/standing.py publishes it)."""
    account_standing_refresh(account_id=invoice.account_id, escalate=False)


@on_transition(PAYMENT_TRANSITIONS, to=(PaymentStatus.FAILED, PaymentStatus.CANCELED))
def payment_failed_schedules_a_retry(payment, move) -> None:
    dunning_on_failure(payment=payment)
