"""Dunning: the retry schedule of an invoice whose payment failed, and the per-account pause."""

from django.db import models

from billing.models import Account, TenantModel
from billing.transitions import TransitionTable


class DunningStatus(models.TextChoices):
    ACTIVE = "active", "Retrying"
    RECOVERED = "recovered", "Recovered (paid)"
    EXHAUSTED = "exhausted", "Exhausted (final action taken)"
    CLOSED = "closed", "Closed (invoice paid, voided or uncollectible elsewhere)"


class DunningCause(models.TextChoices):
    DECLINED = "payment_failed", "The payment failed (declined card, bank error)"
    AUTHENTICATION_EXPIRED = "authentication_expired", "A 3-D Secure confirmation was not completed in time"
    NO_PAYMENT_METHOD = "no_payment_method", "No payment method to charge"
    TRANSFER_NOT_RECEIVED = "bank_transfer_not_received", "The bank transfer was not received by the due date"


class DunningCase(TenantModel):
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="dunning_case")
    status = models.CharField(max_length=16, choices=DunningStatus.choices, default=DunningStatus.ACTIVE)
    # Why the invoice is unpaid: the first cause (a later failure of another kind keeps it, see last_failure_code).
    cause = models.CharField(max_length=32, choices=DunningCause.choices, default=DunningCause.DECLINED)
    failures = models.PositiveIntegerField(default=0)
    retries_done = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    last_failure_code = models.CharField(max_length=100, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    final_action = models.CharField(max_length=32, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]
        indexes = [models.Index(fields=["next_retry_at"], name="dunning_due_idx",
                                condition=models.Q(status="active"))]

    def __str__(self):
        return f"dunning of invoice {self.invoice_id} ({self.status})"


DUNNING_TRANSITIONS = TransitionTable(DunningCase, {
    DunningStatus.ACTIVE: {DunningStatus.RECOVERED, DunningStatus.EXHAUSTED, DunningStatus.CLOSED},
    DunningStatus.RECOVERED: set(),
    DunningStatus.EXHAUSTED: set(),
    DunningStatus.CLOSED: set(),
}, initial={DunningStatus.ACTIVE})


class AccountDunning(TenantModel):
    """Finance's switch per account: while paused, no retry runs and no final action is taken."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="dunning")
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account dunning setting"

    def __str__(self):
        return f"dunning of {self.account_id}: {'paused' if self.paused else 'on'}"
