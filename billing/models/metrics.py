"""Billable metrics: the operator catalog of what is measured (not tenant data).

A metric's definition sits in the catalog because plan charges, limits and overrides point at it;
metering (above billing in the layers) measures usage against it and keeps the services that
create, change and archive metrics (`metering/services/metrics.py`), since those read usage.
The table keeps its first name, `metering_billablemetric`: the model moved, the rows did not.
"""

from django.db import models


class Aggregation(models.TextChoices):
    COUNT = "count", "Count of events"
    SUM = "sum", "Sum of a value"
    MAX = "max", "Maximum value"
    UNIQUE_COUNT = "unique_count", "Distinct values of a property"
    LATEST = "latest", "Last value in the period"
    WEIGHTED_SUM = "weighted_sum", "Time-weighted sum (gauges)"


class BillableMetric(models.Model):
    code = models.SlugField(max_length=64, unique=True, help_text="Used by usage events, e.g. api_calls.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=32, default="unit", help_text="e.g. call, GB, token.")
    # What e-invoices name the unit (BT-130); suggested from `unit` when a metric is made (billing/units.py).
    unit_code = models.CharField(max_length=3, default="C62", help_text=(
        "UN/ECE Recommendation 20 code of the unit on e-invoices: C62 one (calls, events), E34 gigabyte, "
        "4L megabyte, HUR hour, MIN minute, SEC second."))
    aggregation = models.CharField(max_length=16, choices=Aggregation.choices, default=Aggregation.COUNT)
    field_name = models.CharField(
        max_length=64, blank=True,
        help_text="Property aggregated by sum/max/unique_count/latest/weighted_sum; blank = the event's value.",
    )
    filters = models.JSONField(default=dict, blank=True, help_text='Only events whose properties match, e.g. {"region": ["eu"]}.')
    group_by = models.JSONField(default=list, blank=True, help_text='Properties usage is grouped by, e.g. ["model"].')
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "metering_billablemetric"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
