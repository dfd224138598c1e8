"""Money that arrives, applied predictably (docs/payments.md, "Money that arrives").

A payment goes first to the invoice it was made for, when that invoice can still take it; what is
left goes to the account's other open invoices in the same currency, the oldest first (by due date,
then number); what is left after that becomes credit on the account's balance (which the next
invoices draw on at finalization). Money for an invoice that can no longer take any of it (paid,
void, disputed meanwhile) is therefore credit too, and the caller flags it to finance.

Idempotent per `reference`: every part it records carries the reference (an `InvoicePayment` per
invoice, the credit grant), so a replay finds them and records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum

from billing.models import Account, CreditEntry, CreditKind
from billing.transitions import row_lock
from invoicing.credits import credit_add
from invoicing.models import Invoice, InvoicePayment, InvoiceStatus, PaymentSource
from invoicing.services.common import WITH_ACCOUNT
from invoicing.services.transitions import PAYABLE, settle_locked


@dataclass
class Allocation:
    applied: list[tuple[int, int]] = field(default_factory=list)  # (invoice id, amount), in the order paid
    credited: int = 0  # what became credit on the account's balance
    replayed: bool = False  # recorded before under this reference: nothing new

    @property
    def to_invoice(self) -> dict[int, int]:
        return dict(self.applied)


def _recorded(account_id: int, reference: str) -> Allocation | None:
    parts = list(InvoicePayment.objects.filter(account_id=account_id, reference=reference)
                 .order_by("recorded_at", "id").values_list("invoice_id", "amount"))
    credited = (CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.GRANT, reference=reference)
                .aggregate(total=Sum("amount"))["total"] or 0)
    if not parts and not credited:
        return None
    return Allocation(applied=parts, credited=credited, replayed=True)


@transaction.atomic
def payment_allocate(*, account_id: int, currency: str, amount: int, reference: str,
                     source: str = PaymentSource.GATEWAY, invoice_id: int | None = None,
                     credit_reason: str = "") -> Allocation:
    """Apply `amount` (minor units of `currency`) that arrived under `reference`: to `invoice_id` first,
    then to the other open invoices oldest first, the rest as credit. Returns where it went."""
    # One account's money is applied by one transaction at a time (the credit ledger locks the same row).
    account = row_lock(Account, account_id)
    replay = _recorded(account_id, reference)
    if replay is not None:
        return replay
    result, left = Allocation(), amount
    action = "invoice.payment_recorded" if source == PaymentSource.GATEWAY else "invoice.marked_paid"
    if invoice_id is not None:
        target = row_lock(Invoice, invoice_id, related=WITH_ACCOUNT)
        if target.status in PAYABLE and target.currency == currency and target.amount_due > 0:
            part = min(left, target.amount_due)
            settle_locked(target, amount=part, reference=reference, source=source, action=action)
            result.applied.append((target.pk, part))
            left -= part
    if left > 0:
        others = (Invoice.objects.filter(account_id=account_id, currency=currency, status=InvoiceStatus.OPEN,
                                         amount_due__gt=0).exclude(pk=invoice_id)
                  .order_by("due_date", "finalized_at", "id").values_list("pk", flat=True))
        for pk in list(others):
            if left <= 0:
                break
            invoice = row_lock(Invoice, pk, related=WITH_ACCOUNT)
            if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
                continue
            part = min(left, invoice.amount_due)
            settle_locked(invoice, amount=part, reference=reference, source=source, action=action)
            result.applied.append((invoice.pk, part))
            left -= part
    if left > 0:
        credit_add(account=account, currency=currency, amount=left, reference=reference,
                   reason=(credit_reason or f"Payment {reference} beyond what was due")[:200])
        result.credited = left
    return result


def account_payment_receive(*, account_id: int, currency: str, amount: int, reference: str) -> Allocation:
    """A transfer that names no invoice (finance records it): the oldest open invoices first, the rest credit."""
    from billing.errors import ValidationFailed

    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = "Must be a positive whole number of minor units."
    if not (reference or "").strip():
        errors["reference"] = "Give the bank transfer or cheque reference."
    if errors:
        raise ValidationFailed(errors)
    return payment_allocate(account_id=account_id, currency=currency.upper(), amount=amount,
                            reference=reference.strip(), source=PaymentSource.OUT_OF_BAND)
