"""Payments against invoices, their refunds and disputes, and their transition tables.

A payment moves `pending -> succeeded | failed | requires_action | canceled`, then
`succeeded -> partially_refunded | refunded | disputed` (PAYMENT_TRANSITIONS); every
move is a locked, audited `billing.transitions.transition()`. The `reference`
(`invoice:<id>:attempt:<n>`) is the idempotency key at the gateway.
"""

from django.db import models

from billing.models import TenantModel
from billing.transitions import TransitionTable, fields_picture
from pricing.money import amount_label

from .methods import PaymentMethod

ACTIVE_STATUSES = ("pending", "requires_action")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REQUIRES_ACTION = "requires_action", "Requires customer action (3-D Secure)"
    CANCELED = "canceled", "Canceled"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    DISPUTED = "disputed", "Disputed"


# Statuses in which money reached us (and may go back).
COLLECTED_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED,
                      PaymentStatus.DISPUTED)


class Payment(TenantModel):
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="gateway_payments")
    amount = models.BigIntegerField(help_text="Minor units of `currency`.")
    currency = models.CharField(max_length=3)
    gateway = models.CharField(max_length=16)
    reference = models.CharField(max_length=100, unique=True, help_text="Idempotency key at the gateway.")
    attempt = models.PositiveIntegerField()
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="payments")
    gateway_customer_id = models.CharField(max_length=255, blank=True)
    gateway_payment_id = models.CharField(max_length=255, blank=True, db_index=True,
                                          help_text="Stripe PaymentIntent id.")
    gateway_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    amount_refunded = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # The janitor asks the gateway about pending / requires_action payments at these times.
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    # Billing-clock time after which a payment still waiting for 3-D Secure is canceled (counts as failed).
    action_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a succeeded payment could not be applied to its invoice (paid meanwhile): finance decides.
    unapplied_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one attempt in flight per invoice: a second collection waits for the first.
            models.UniqueConstraint(fields=["invoice"], condition=models.Q(status__in=ACTIVE_STATUSES),
                                    name="payment_one_active_attempt_per_invoice"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(amount_refunded__gte=0)
                                   & models.Q(amount_refunded__lte=models.F("amount")),
                                   name="payment_refunded_within_amount"),
        ]
        indexes = [models.Index(fields=["next_check_at"], name="payment_janitor_idx",
                                condition=models.Q(status__in=ACTIVE_STATUSES))]

    def __str__(self):
        return f"{self.reference} {amount_label(self.amount, self.currency)} ({self.status})"

    @property
    def refundable(self) -> int:
        return self.amount - self.amount_refunded


_P = PaymentStatus
PAYMENT_TRANSITIONS = TransitionTable(Payment, {
    _P.PENDING: {_P.SUCCEEDED, _P.FAILED, _P.REQUIRES_ACTION, _P.CANCELED},
    _P.REQUIRES_ACTION: {_P.SUCCEEDED, _P.FAILED, _P.CANCELED, _P.PENDING},
    # The gateway is the truth: an intent that failed can still succeed (the customer retried on it).
    _P.FAILED: {_P.SUCCEEDED},
    _P.CANCELED: set(),
    _P.SUCCEEDED: {_P.PARTIALLY_REFUNDED, _P.REFUNDED, _P.DISPUTED},
    # Listed in their own targets: another partial refund, or a refund during a dispute, keeps the status.
    _P.PARTIALLY_REFUNDED: {_P.PARTIALLY_REFUNDED, _P.REFUNDED, _P.DISPUTED},
    _P.DISPUTED: {_P.DISPUTED, _P.SUCCEEDED, _P.PARTIALLY_REFUNDED, _P.REFUNDED},
    _P.REFUNDED: {_P.DISPUTED},
}, initial={_P.PENDING}, picture=fields_picture(
    "status", "gateway_payment_id", "gateway_charge_id", "failure_code", "failure_message", "amount_refunded",
    "unapplied_reason"))


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(TenantModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, unique=True, help_text="Idempotency key at the gateway.")
    gateway_refund_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    failure_message = models.CharField(max_length=500, blank=True)
    credit_note_id = models.BigIntegerField(null=True, blank=True, help_text="invoicing.CreditNote it pays out.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{self.reference} {amount_label(self.amount, self.currency)} ({self.status})"


# A refund starts succeeded when it is recorded after the fact: made at the gateway (the dashboard),
# or money a lost dispute took back.
REFUND_TRANSITIONS = TransitionTable(Refund, {
    RefundStatus.PENDING: {RefundStatus.SUCCEEDED, RefundStatus.FAILED},
    RefundStatus.SUCCEEDED: set(),
    RefundStatus.FAILED: set(),
}, initial={RefundStatus.PENDING, RefundStatus.SUCCEEDED})


class DisputeOutcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Dispute(TenantModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    gateway_dispute_id = models.CharField(max_length=255, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=100, blank=True)
    gateway_status = models.CharField(max_length=40)
    outcome = models.CharField(max_length=8, choices=DisputeOutcome.choices, default=DisputeOutcome.OPEN)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.gateway_dispute_id} ({self.outcome})"


DISPUTE_TRANSITIONS = TransitionTable(Dispute, {
    DisputeOutcome.OPEN: {DisputeOutcome.WON, DisputeOutcome.LOST},
    DisputeOutcome.WON: set(),  # closed is final: a late `updated` never reopens it
    DisputeOutcome.LOST: set(),
}, initial={DisputeOutcome.OPEN}, field="outcome")
