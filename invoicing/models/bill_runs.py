"""Bill runs (operator history) and the per-period billing records that make them idempotent."""

from django.db import models

from billing.models import TenantModel

from .invoices import Invoice


class BillRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Done with errors"


class BillRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    billing_time = models.DateTimeField(help_text="The domain time subscriptions were billed up to.")
    status = models.CharField(max_length=16, choices=BillRunStatus.choices, default=BillRunStatus.RUNNING)
    subscriptions_due = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Already billed for that period.")
    errors = models.PositiveIntegerField(default=0)
    error_details = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"bill run {self.pk} at {self.billing_time:%Y-%m-%d %H:%M}"


class BillingKind(models.TextChoices):
    ADVANCE = "advance", "Flat and seat fees billed in advance for the period"
    ARREARS = "arrears", "Usage billed in arrears for the period"


class BillingRecord(TenantModel):
    """A subscription billed for a period, in advance or in arrears: unique, so never twice.

    A renewal invoice writes two: arrears for the period that ended, advance for the
    one that starts; a subscription's first invoice writes the advance of its first period.
    """

    # No index of its own: billingrecord_once_per_period starts with it.
    subscription = models.ForeignKey("billing.Subscription", on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    kind = models.CharField(max_length=8, choices=BillingKind.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="billing_records")
    # Null in every bill-run path today: indexed only where set (billingrecord_bill_run_idx).
    bill_run = models.ForeignKey(BillRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="records",
                                 db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "period_start"],
                                    name="billingrecord_once_per_period"),
        ]
        indexes = [models.Index(fields=["bill_run"], condition=models.Q(bill_run__isnull=False),
                                name="billingrecord_bill_run_idx")]

    def __str__(self):
        return f"subscription {self.subscription_id} {self.kind} {self.period_start:%Y-%m-%d}"


class RenewalNotice(TenantModel):
    """The upcoming-renewal reminder of a subscription's period: sent once."""

    subscription = models.ForeignKey("billing.Subscription", on_delete=models.CASCADE, related_name="+")
    period_end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_end"], name="renewalnotice_once")]
