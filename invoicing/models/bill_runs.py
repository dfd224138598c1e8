"""Bill runs (operator history), the per-period billing records that make them idempotent, and
the subscriptions a run could not bill (retried, reported to finance)."""

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
    retries = models.PositiveIntegerField(default=0, help_text="Earlier failures this run tried again.")
    deferred = models.PositiveIntegerField(
        default=0, help_text="Due, but held back: an earlier failure of the same period waits for its next "
                             "retry, or for finance (see bill-run failures).")

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


class BillRunFailure(TenantModel):
    """A subscription that a bill run could not bill for a period: one row per subscription and
    period, retried with backoff by the next runs (`next_attempt_at`; none left: finance retries it
    from the admin), resolved when the period is billed (`invoice`) or turns out to need no bill."""

    # No index of its own: billrunfailure_once_per_period starts with it.
    subscription = models.ForeignKey("billing.Subscription", on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    bill_run = models.ForeignKey(BillRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="failures",
                                 help_text="The last run that tried (none: a retry from the admin).")
    error_class = models.CharField(max_length=200)
    error_message = models.CharField(max_length=500, help_text="Safe to show and to send; the worker log has "
                                                               "the traceback.")
    attempts = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Empty while unresolved: no automatic retry is left.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                help_text="The invoice that billed the period.")

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="billrunfailure_once_per_period"),
        ]
        # Each bill run reads the unresolved ones.
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(resolved_at__isnull=True),
                                name="billrunfailure_open_idx")]

    def __str__(self):
        return f"subscription {self.subscription_id} unbilled for {self.period_start:%Y-%m-%d}"

    @property
    def gave_up(self) -> bool:
        return self.resolved_at is None and self.next_attempt_at is None
