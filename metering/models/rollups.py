"""Usage rollups: minute, hour and day buckets, distinct values per day, and the fold's cursor.

Rollups are what current usage reads (docs/metering.md, "How current usage is computed"):
the buckets hold every event received up to the cursor; events received after it are
read raw. Hour and day buckets are kept forever; minute buckets and distinct values only
as long as raw events (the retention), because they serve periods that raw events cover.
"""

from django.db import models

from billing.models import BillableMetric, TenantModel


class RollupGranularity(models.TextChoices):
    MINUTE = "minute", "Minute"
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class UsageRollup(TenantModel):
    """Mergeable aggregates of one bucket: count, sum, max, the latest value; and for
    weighted_sum the bucket's first reading and its time-weighted integral.

    `latest_*` is the last reading in the order (timestamp, received_at, value) and
    `first_*` the first; `weighted_integral` is the sum of value x seconds between
    consecutive readings inside the bucket (weighted_sum metrics only: their buckets are
    recomputed from raw events when an event lands in them, since a reading arriving late
    splits a span).
    """

    metric = models.ForeignKey(BillableMetric, on_delete=models.PROTECT, related_name="+")
    granularity = models.CharField(max_length=6, choices=RollupGranularity.choices)
    bucket_start = models.DateTimeField()
    group_key = models.CharField(max_length=255, blank=True, default="")
    events = models.BigIntegerField(default=0)
    value_sum = models.DecimalField(max_digits=38, decimal_places=12, default=0)
    value_max = models.DecimalField(max_digits=38, decimal_places=12, null=True, blank=True)
    latest_value = models.DecimalField(max_digits=38, decimal_places=12, null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    first_value = models.DecimalField(max_digits=38, decimal_places=12, null=True, blank=True)
    first_at = models.DateTimeField(null=True, blank=True)
    # value (< 10^14, 12 places) x seconds (< 86,400, 6 places) within one bucket: below 10^20.
    weighted_integral = models.DecimalField(max_digits=40, decimal_places=18, null=True, blank=True)
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


class UsageDistinctValue(TenantModel):
    """One distinct value of a unique_count metric in one UTC day and group, with the first
    and last time it was seen that day (received up to the cursor).

    A day wholly inside a period counts the value; a period's first (or last) partial day
    counts it when it was seen at or after the period start (or before its end): exact,
    since a value counts once however often it occurs. The digest keeps the unique index
    small whatever the length of the value.
    """

    metric = models.ForeignKey(BillableMetric, on_delete=models.PROTECT, related_name="+")
    bucket_start = models.DateTimeField()
    group_key = models.CharField(max_length=255, blank=True, default="")
    value = models.TextField()
    value_digest = models.BinaryField()  # sha256 of the value
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "bucket_start", "group_key", "value_digest"],
                name="usage_distinct_value_unique",
            )
        ]


class RollupCursor(models.Model):
    """How far (by time of receipt) raw events have been folded into rollups. One row."""

    name = models.CharField(max_length=32, unique=True, default="usage")
    processed_through = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} through {self.processed_through:%Y-%m-%d %H:%M:%S}"


class RollupDefinition(models.Model):
    """What a metric's rollups were folded under (aggregation, field, filters, group-by).

    When the metric's definition changes, the fold job rebuilds its rollups from the raw
    events still retained, and until then reads of that metric take raw events.
    """

    metric = models.OneToOneField(BillableMetric, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    rebuilt_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"rollups of metric {self.metric_id} folded as {self.fingerprint[:12]}"
