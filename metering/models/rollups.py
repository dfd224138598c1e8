"""Hourly and daily usage rollups, kept forever (raw events are dropped after retention)."""

from django.db import models

from billing.models import BillableMetric, TenantModel


class RollupGranularity(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class UsageRollup(TenantModel):
    """Mergeable aggregates of one bucket: count, sum, max and the latest value.

    unique_count and weighted_sum are not mergeable across buckets; they are
    computed from raw events while those are retained (docs/metering.md).
    """

    metric = models.ForeignKey(BillableMetric, on_delete=models.PROTECT, related_name="+")
    granularity = models.CharField(max_length=4, choices=RollupGranularity.choices)
    bucket_start = models.DateTimeField()
    group_key = models.CharField(max_length=255, blank=True, default="")
    events = models.BigIntegerField(default=0)
    value_sum = models.DecimalField(max_digits=38, decimal_places=12, default=0)
    value_max = models.DecimalField(max_digits=38, decimal_places=12, null=True, blank=True)
    latest_value = models.DecimalField(max_digits=38, decimal_places=12, null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "granularity", "bucket_start", "group_key"],
                name="usage_rollup_bucket_unique",
            )
        ]
        # No separate index on (account, metric, granularity, bucket_start): the unique
        # constraint's index starts with those columns and serves the same lookups.


class RollupCursor(models.Model):
    """How far (by time of receipt) raw events have been folded into rollups. One row."""

    name = models.CharField(max_length=32, unique=True, default="usage")
    processed_through = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} through {self.processed_through:%Y-%m-%d %H:%M:%S}"
