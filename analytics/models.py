"""MRR snapshots: each subscription's monthly-normalized recurring fee on each day, and the month figures
derived from them. Amounts are integers in the currency's minor unit (docs/metrics.md defines each one).

The rows are written by `mrr_snapshot_take` and never by hand; a plan's later price change does not
touch them, so history stays as it was.
"""

from django.db import models

from billing.models import TenantModel


class MrrSnapshot(TenantModel):
    """One subscription on one day (UTC): its status, plan, seats and MRR (zero unless it pays)."""

    day = models.DateField()
    # No database constraint: a snapshot is history and outlives nothing it describes; indexed through
    # the unique (subscription, day) constraint.
    subscription = models.ForeignKey("billing.Subscription", on_delete=models.DO_NOTHING, db_constraint=False,
                                     related_name="+", db_index=False)
    plan = models.ForeignKey("billing.Plan", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                             db_index=False)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    quantity = models.PositiveIntegerField()
    mrr = models.BigIntegerField(help_text="Monthly-normalized recurring fee net of recurring discounts.")

    class Meta:
        verbose_name = "MRR snapshot"
        constraints = [models.UniqueConstraint(fields=["subscription", "day"], name="mrrsnapshot_once_per_day")]
        indexes = [models.Index(fields=["day", "currency"], name="mrrsnapshot_day_idx")]

    def __str__(self):
        return f"subscription {self.subscription_id} on {self.day}: {self.mrr} {self.currency}"


class SnapshotSource(models.TextChoices):
    LIVE = "live", "Taken on the day, from the subscriptions as they were"
    BACKFILL = "backfill", "Rebuilt later from the subscriptions' dates"


class SnapshotDay(models.Model):
    """A day whose snapshot has been taken (so the backfill knows what to leave alone)."""

    day = models.DateField(unique=True)
    source = models.CharField(max_length=8, choices=SnapshotSource.choices)
    subscriptions = models.PositiveIntegerField(default=0)
    plans = models.JSONField(default=list, blank=True,
                             help_text="Paying subscriptions and their MRR per plan and currency, counted when taken.")
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day} ({self.source})"


class MrrMonth(models.Model):
    """A month's figures in one currency, from its last snapshot day and the previous month's.

    `mrr` = `mrr_start` + `new` + `expansion` + `reactivated` - `contraction` - `churned`, exactly.
    """

    month = models.DateField(help_text="The first day of the month.")
    currency = models.CharField(max_length=3)
    as_of = models.DateField(help_text="The snapshot day the month's closing figures come from.")
    mrr_start = models.BigIntegerField(default=0)
    mrr = models.BigIntegerField(default=0)
    new = models.BigIntegerField(default=0)
    expansion = models.BigIntegerField(default=0)
    contraction = models.BigIntegerField(default=0)
    churned = models.BigIntegerField(default=0)
    reactivated = models.BigIntegerField(default=0)
    new_subscriptions = models.PositiveIntegerField(default=0)
    churned_subscriptions = models.PositiveIntegerField(default=0)
    paying_start = models.PositiveIntegerField(default=0, help_text="Subscriptions paying at the start.")
    paying = models.PositiveIntegerField(default=0, help_text="Subscriptions paying at the end.")
    customers_start = models.PositiveIntegerField(default=0, help_text="Accounts paying at the start.")
    customers_churned = models.PositiveIntegerField(default=0, help_text="Of those, paying nothing at the end.")
    trials_ended = models.PositiveIntegerField(default=0)
    trials_converted = models.PositiveIntegerField(default=0)
    usage = models.BigIntegerField(default=0, help_text="Usage revenue recognized in the month.")

    class Meta:
        verbose_name = "MRR month"
        ordering = ["-month", "currency"]
        constraints = [models.UniqueConstraint(fields=["month", "currency"], name="mrrmonth_once")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.currency}"
