"""The catalog (operator data, shared by every account): products, plans and their versions.

A plan is the thing customers pick (code, name, interval, trial, flags, features).
Everything that has a price lives on a `PlanVersion`: prices per currency, seats,
usage charges and limits. Changing the price of a plan with subscribers creates a
new version; subscriptions keep the version they were sold (grandfathering).
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models

from pricing.money import amount_label
from pricing.terms import (
    ChargeModel,  # the engine's enum: its values and labels are the field's choices
)

UNLIMITED = -1


def default_alert_thresholds():
    return [80, 100, 120]


class Interval(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class ChangeTiming(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    PERIOD_END = "period_end", "At the end of the period"


class ProrationBehavior(models.TextChoices):
    CREATE_PRORATIONS = "create_prorations", "Create proration items for the next invoice"
    NONE = "none", "No proration"
    ALWAYS_INVOICE = "always_invoice", "Create proration items and invoice them now"


class TrialEndBehavior(models.TextChoices):
    """What a trial ends into when no payment method is on file (with one: always `active`)."""

    INCOMPLETE = "incomplete", "Incomplete (wait for payment)"
    CANCEL = "cancel", "Cancel"
    ACTIVATE = "activate", "Activate anyway (invoice billing)"


class CapMode(models.TextChoices):
    SOFT = "soft", "Soft (allowed, billed as overage)"
    HARD = "hard", "Hard (refused when reached)"


class Product(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Plan(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plans", null=True, blank=True)
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    trial_days = models.PositiveSmallIntegerField(default=0)
    trial_end_behavior = models.CharField(max_length=16, choices=TrialEndBehavior.choices,
                                          default=TrialEndBehavior.INCOMPLETE)
    is_public = models.BooleanField(default=True, help_text="Listed to customers; private plans are sold by finance.")
    is_active = models.BooleanField(default=True, help_text="Inactive plans take no new subscriptions.")
    sort_order = models.IntegerField(default=0)
    features = models.JSONField(default=list, blank=True, help_text="Lines for the plan comparison.")
    upgrade_timing = models.CharField(max_length=16, choices=ChangeTiming.choices, default=ChangeTiming.IMMEDIATE)
    downgrade_timing = models.CharField(max_length=16, choices=ChangeTiming.choices,
                                        default=ChangeTiming.PERIOD_END)
    proration_behavior = models.CharField(max_length=20, choices=ProrationBehavior.choices,
                                          default=ProrationBehavior.CREATE_PRORATIONS)
    current_version = models.ForeignKey("PlanVersion", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", help_text="The version new subscriptions get.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class PlanVersion(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    included_seats = models.IntegerField(default=1, help_text="Seats covered by the flat price; -1 = unlimited.")
    max_seats = models.PositiveIntegerField(null=True, blank=True, help_text="Hard cap on seats; empty = none.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="plan_version_unique")]

    def __str__(self):
        return f"{self.plan.code} v{self.version}"


class PlanPrice(models.Model):
    """The recurring price of a plan version in one currency (minor units)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    flat_amount = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    seat_amount = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)],
                                         help_text="Per seat above the included seats; empty = seats not sold.")

    class Meta:
        ordering = ["currency"]
        constraints = [models.UniqueConstraint(fields=["version", "currency"], name="plan_price_currency_unique")]

    def __str__(self):
        return f"{self.version} {amount_label(self.flat_amount, self.currency)}"


class PlanCharge(models.Model):
    """A usage charge of a plan version for one metric in one currency.

    Unit and tier prices are per `block_size` units (1 unless set); `free_units`
    are taken off the quantity before any price applies; tiers count units after
    the free units.
    """

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="charges")
    metric = models.ForeignKey("billing.BillableMetric", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    model = models.CharField(max_length=16, choices=ChargeModel.choices, default=ChargeModel.STANDARD)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    block_size = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    package_size = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    free_units = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    tiers = models.JSONField(default=list, blank=True,
                             help_text='[{"up_to": 1000 or null, "unit_price": "0.01", "flat_fee": 0}]')

    class Meta:
        ordering = ["metric__code", "currency"]
        constraints = [models.UniqueConstraint(fields=["version", "metric", "currency"],
                                               name="plan_charge_unique")]

    def __str__(self):
        return f"{self.version} {self.metric.code} {self.currency} ({self.model})"


class PlanLimit(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="limits")
    metric = models.ForeignKey("billing.BillableMetric", on_delete=models.PROTECT, related_name="+")
    included = models.BigIntegerField(default=UNLIMITED, help_text="-1 = unlimited.")
    cap_mode = models.CharField(max_length=4, choices=CapMode.choices, default=CapMode.SOFT)
    overage_allowed = models.BooleanField(default=True, help_text="Off: a free tier that must upgrade.")
    grace_percent = models.PositiveSmallIntegerField(default=0)
    alert_thresholds = ArrayField(models.PositiveSmallIntegerField(), default=default_alert_thresholds, blank=True)

    class Meta:
        ordering = ["metric__code"]
        constraints = [models.UniqueConstraint(fields=["version", "metric"], name="plan_limit_unique")]

    def __str__(self):
        return f"{self.version} {self.metric.code} {self.included}"
