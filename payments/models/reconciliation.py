"""Reconciliation runs (Stripe's charges and refunds vs ours, for a window) and their discrepancies."""

from django.db import models

from billing.models import Account, TenantModel


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ReconciliationRun(models.Model):
    """Operator-level: a run spans every account."""

    gateway = models.CharField(max_length=16)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    idempotency_key = models.CharField(max_length=255, blank=True, db_index=True)
    trigger = models.CharField(max_length=16, default="schedule", help_text="schedule, api or admin")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    charges_seen = models.PositiveIntegerField(default=0)
    refunds_seen = models.PositiveIntegerField(default=0)
    payments_checked = models.PositiveIntegerField(default=0)
    refunds_checked = models.PositiveIntegerField(default=0)
    discrepancy_count = models.PositiveIntegerField(default=0)
    total_discrepancy = models.BigIntegerField(default=0, help_text="Absolute, minor units of the operator currency.")
    currency = models.CharField(max_length=3)
    alerted = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"run {self.pk} {self.window_start:%Y-%m-%d %H:%M}–{self.window_end:%Y-%m-%d %H:%M} ({self.status})"


class DiscrepancyKind(models.TextChoices):
    MISSING_LOCAL = "missing_local", "At Stripe, missing on our side"
    MISSING_GATEWAY = "missing_gateway", "On our side, missing at Stripe"
    AMOUNT_MISMATCH = "amount_mismatch", "Amounts differ by more than the tolerance"
    STATUS_MISMATCH = "status_mismatch", "Statuses differ"


class DiscrepancyResolution(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved by finance"
    REPAIRED = "repaired", "Repaired automatically"


class Discrepancy(TenantModel):
    # Unknown account when Stripe has a charge for a customer we do not know.
    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
                                related_name="+")
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=24, choices=DiscrepancyKind.choices)
    object_type = models.CharField(max_length=16, help_text="charge or refund")
    gateway_id = models.CharField(max_length=255, blank=True)
    payment = models.ForeignKey("payments.Payment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    refund = models.ForeignKey("payments.Refund", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    currency = models.CharField(max_length=3)
    local_amount = models.BigIntegerField(null=True, blank=True)
    gateway_amount = models.BigIntegerField(null=True, blank=True)
    local_status = models.CharField(max_length=24, blank=True)
    gateway_status = models.CharField(max_length=24, blank=True)
    details = models.JSONField(default=dict, blank=True)
    resolution = models.CharField(max_length=16, choices=DiscrepancyResolution.choices,
                                  default=DiscrepancyResolution.OPEN)
    note = models.TextField(blank=True)
    resolved_by = models.CharField(max_length=200, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "discrepancies"
        ordering = ["run", "kind", "id"]

    def __str__(self):
        return f"{self.kind} {self.object_type} {self.gateway_id or self.payment_id}"

    @property
    def difference(self) -> int:
        return abs((self.gateway_amount or 0) - (self.local_amount or 0))
