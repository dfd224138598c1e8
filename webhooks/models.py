"""Webhook endpoints the operator registers, one delivery per (endpoint, event), and every attempt."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from billing.models import Account, TenantModel
from billing.sinks import event_message_id

ALL_EVENTS = "*"


class DisabledReason(models.TextChoices):
    OPERATOR = "operator", "Disabled by the operator"
    GONE = "gone", "The endpoint answered 410 Gone"
    FAILING = "failing", "A delivery failed its last retry"


class WebhookEndpoint(models.Model):
    """Where the operator's systems receive events. Not an account's: endpoints are the operator's."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    # The catalog's types (webhooks/catalog.py) it wants, or ["*"] for all of them.
    event_types = ArrayField(models.CharField(max_length=100), default=list)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # HMAC keys in the Standard Webhooks form (whsec_ + base64): the server signs with them, so they
    # are kept as they are, and shown only once, when made.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: sent until it succeeds or its retries run out (status `failed`).

    Holds the event's body as sent (an account's data): a tenant row, like the outbox event."""

    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                                blank=True, related_name="+", db_index=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)  # webhook_delivery_endpoint_idx starts with it
    event_id = models.BigIntegerField()  # the outbox event; no foreign key, so events can be pruned
    event_type = models.CharField(max_length=100)
    body = models.TextField()  # the JSON sent, the same bytes on every attempt
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # since it was (re)queued: the retry schedule's step
    # Billing-clock time (billing/clock.py) of the next attempt; while an attempt runs, the end of its claim.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()  # billing-clock time the event was fanned out
    finished_at = models.DateTimeField(null=True, blank=True)  # succeeded or given up
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], name="webhook_delivery_due_idx",
                         condition=models.Q(status="pending")),
            models.Index(fields=["endpoint", "status", "created_at"], name="webhook_delivery_endpoint_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} #{self.event_id} to endpoint {self.endpoint_id}"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the event's, the same for every attempt and every endpoint."""
        return message_id(self.event_id)


def message_id(event_id: int) -> str:
    return event_message_id(event_id)


class AttemptResult(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed, retried later"
    EXHAUSTED = "exhausted", "Failed its last retry: endpoint disabled"
    GONE = "gone", "410 Gone: endpoint disabled"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what came back, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()  # billing clock
    result = models.CharField(max_length=16, choices=AttemptResult.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # none when no answer came
    latency_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.result} {self.status_code or ''}".strip()
