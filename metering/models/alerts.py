"""Usage thresholds reached: one row per account, metric, period and threshold."""

from django.db import models

from billing.models import BillableMetric, TenantModel


class UsageAlert(TenantModel):
    metric = models.ForeignKey(BillableMetric, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    threshold_percent = models.PositiveIntegerField()
    usage = models.DecimalField(max_digits=38, decimal_places=12)
    limit = models.BigIntegerField()
    fired_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True, help_text="Hidden from the console banner.")
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the billing contacts were emailed.")

    class Meta:
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "period_start", "threshold_percent"],
                name="usage_alert_once_per_period",
            )
        ]

    def __str__(self):
        return f"{self.metric.code} at {self.threshold_percent}% ({self.period_start:%Y-%m-%d})"
