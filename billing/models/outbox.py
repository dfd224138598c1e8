"""The transactional outbox: domain events written with the change, delivered by Celery."""

from django.db import models

from .accounts import Account, TenantModel


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class OutboxEvent(TenantModel):
    # No index: nothing reads events by account (delivery goes by outbox_pending_idx), and no
    # foreign key for a delete to check.
    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+",
        db_index=False,
    )
    type = models.CharField(max_length=100)  # indexed in Meta: without db_index's LIKE-pattern twin
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["type"], name="outbox_type_idx"),
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"
