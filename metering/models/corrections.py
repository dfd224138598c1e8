"""Corrections: usage taken back by an operator key (a negative value on a `sum` metric).

The correction itself is a usage event like any other (metering_usageevent), so every
aggregation nets it out; this row says who made it, when and in which request. It is
written in the same transaction as the event, and kept after raw events are pruned.
"""

from django.db import models

from billing.models import BillableMetric, TenantModel
from metering.values import DECIMAL_PLACES, INTEGER_DIGITS


class UsageCorrection(TenantModel):
    metric = models.ForeignKey(BillableMetric, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=255, help_text="The correcting event's key.")
    timestamp = models.DateTimeField(help_text="The correcting event's timestamp (the period it corrects).")
    quantity = models.DecimalField(max_digits=INTEGER_DIGITS + DECIMAL_PLACES, decimal_places=DECIMAL_PLACES,
                                   help_text="What the event adds to the metric: negative.")
    properties = models.JSONField(default=dict, blank=True, help_text="The event's properties (its group).")
    actor_type = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True, help_text="For an API key, its id.")
    actor_label = models.CharField(max_length=200, blank=True, help_text="For an API key, its name and prefix.")
    request_id = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "idempotency_key"], name="usage_correction_once_per_key"),
        ]

    def __str__(self):
        return f"{self.metric.code} {self.quantity} ({self.idempotency_key})"
