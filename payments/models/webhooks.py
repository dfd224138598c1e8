"""Raw webhook events as received: one row per gateway event id, processed at most once."""

from django.db import models

from billing.models import Account, TenantModel


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    FAILED = "failed", "Failed"


class WebhookEvent(TenantModel):
    # Unknown until processed (the payload names a Stripe customer, not our account).
    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
                                related_name="+")
    gateway = models.CharField(max_length=16, default="stripe")
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField()
    event_created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=500, blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_retry_idx",
                         condition=models.Q(status__in=["received", "failed"])),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"
