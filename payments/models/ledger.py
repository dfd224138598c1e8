"""What the daily ledger check found (payments/services/ledger.py): one row per account and difference."""

from django.db import models

from billing.models import TenantModel


class LedgerDifference(TenantModel):
    """An account whose reported balance and entries disagreed. Unique by fingerprint (the differences
    themselves), so finance is alerted once per difference, however often the check runs."""

    fingerprint = models.CharField(max_length=64)
    differences = models.JSONField(help_text="Each check that failed: what was reported and what was derived.")
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "fingerprint"], name="ledger_difference_once")]

    def __str__(self):
        return f"ledger difference of account {self.account_id} ({self.found_at:%Y-%m-%d})"
