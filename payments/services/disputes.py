"""Disputes (chargebacks) reported by Stripe: mark the payment, tell finance, reverse the money on a loss."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from billing.audit import audit_record, snapshot
from billing.outbox import event_record
from billing.transitions import row_lock, transition
from invoicing.services.disputes import invoice_dispute_close, invoice_dispute_open
from payments import conf
from payments.models import (
    REFUND_TRANSITIONS,
    Dispute,
    DisputeOutcome,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

from .charging import payment_payload

DISPUTE_CREATED = "billing.dispute.created"
DISPUTE_CLOSED = "billing.dispute.closed"
_OUTCOMES = {"won": DisputeOutcome.WON, "warning_closed": DisputeOutcome.WON, "lost": DisputeOutcome.LOST}


def _when(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@transaction.atomic
def dispute_record(*, payment: Payment, dispute: dict) -> Dispute:
    """Create or move a dispute to the state in Stripe's (signed) dispute object. A closed dispute never
    reopens, so a late `created` after `closed` changes nothing."""
    payment = row_lock(Payment, payment)
    outcome = _OUTCOMES.get(dispute.get("status", ""), DisputeOutcome.OPEN)
    row = row_lock(Dispute, gateway_dispute_id=dispute["id"], required=False)
    created = row is None
    if created:
        row = Dispute.objects.create(
            account_id=payment.account_id, payment=payment, gateway_dispute_id=dispute["id"],
            amount=int(dispute.get("amount") or payment.amount), currency=str(dispute.get("currency") or
                                                                               payment.currency).upper(),
            reason=str(dispute.get("reason") or "")[:100], gateway_status=str(dispute.get("status") or "")[:40],
            evidence_due_by=_when((dispute.get("evidence_details") or {}).get("due_by")),
            created_at=_when(dispute.get("created")) or timezone.now(),
        )
        audit_record(action="dispute.created", instance=row, after=snapshot(row))
        if payment.status != PaymentStatus.DISPUTED:
            transition(payment, PaymentStatus.DISPUTED, action="payment.disputed")
        # The invoice reads disputed too, until its disputes close.
        invoice_dispute_open(invoice=payment.invoice_id, dispute_reference=row.gateway_dispute_id)
        event_record(type=DISPUTE_CREATED, account_id=payment.account_id, payload={
            **payment_payload(payment), "dispute_id": row.pk, "gateway_dispute_id": row.gateway_dispute_id,
            "dispute_amount": row.amount, "reason": row.reason, "evidence_due_by": row.evidence_due_by})
    elif row.outcome != DisputeOutcome.OPEN:
        return row  # closed is final
    else:
        before = snapshot(row)
        row.gateway_status = str(dispute.get("status") or row.gateway_status)[:40]
        row.save(update_fields=["gateway_status"])
        audit_record(action="dispute.updated", instance=row, before=before, after=snapshot(row))
    if outcome != DisputeOutcome.OPEN:
        _close(payment, row, outcome)
    return row


def _close(payment: Payment, row: Dispute, outcome: str) -> None:
    transition(row, outcome, action=f"dispute.{outcome}", changes={"closed_at": timezone.now()})
    reversed_amount = 0
    if outcome == DisputeOutcome.LOST:
        # The card network took the money back: a reversal entry, like a refund we did not choose.
        reversed_amount = min(row.amount, payment.amount - payment.amount_refunded)
        if reversed_amount > 0:
            Refund.objects.create(
                account_id=payment.account_id, payment=payment, amount=reversed_amount, currency=payment.currency,
                reason="Dispute lost", reference=f"dispute:{row.gateway_dispute_id}", gateway_refund_id="",
                status=REFUND_TRANSITIONS.start(RefundStatus.SUCCEEDED), created_at=timezone.now(),
                succeeded_at=timezone.now())
        refunded = payment.amount_refunded + reversed_amount
        target = PaymentStatus.REFUNDED if refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
        if (target, refunded) != (payment.status, payment.amount_refunded):  # a second dispute may change nothing
            transition(payment, target, action="payment.dispute_lost", changes={"amount_refunded": refunded})
    else:
        target = PaymentStatus.PARTIALLY_REFUNDED if payment.amount_refunded else PaymentStatus.SUCCEEDED
        if payment.amount_refunded >= payment.amount:
            target = PaymentStatus.REFUNDED
        if target != payment.status:  # another dispute of the payment may have closed first
            transition(payment, target, action="payment.dispute_won")
    # The invoice: restored, or owed again (or written off) for what the network took back.
    still_disputed = Dispute.objects.filter(payment__invoice_id=payment.invoice_id,
                                            outcome=DisputeOutcome.OPEN).exclude(pk=row.pk).exists()
    invoice_dispute_close(invoice=payment.invoice_id, dispute_reference=row.gateway_dispute_id, outcome=outcome,
                          reversed_amount=reversed_amount, still_disputed=still_disputed,
                          write_off=conf.settings.PAYMENTS_DISPUTE_LOST == "write_off")
    event_record(type=DISPUTE_CLOSED, account_id=payment.account_id, payload={
        **payment_payload(payment), "dispute_id": row.pk, "gateway_dispute_id": row.gateway_dispute_id,
        "outcome": outcome, "reversed_amount": reversed_amount})
