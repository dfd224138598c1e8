"""Subscriptions, their per-customer overrides, scheduled changes, prorations and discounts."""

from django.db import models

from .accounts import TenantModel
from .catalog import CapMode, ChargeModel, TrialEndBehavior


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    PAUSED = "paused", "Paused"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"


# Statuses in which the customer has the service (entitlements) and periods are billed.
LIVE_STATUSES = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


class Subscription(TenantModel):
    plan = models.ForeignKey("billing.Plan", on_delete=models.PROTECT, related_name="subscriptions")
    plan_version = models.ForeignKey("billing.PlanVersion", on_delete=models.PROTECT, related_name="subscriptions")
    currency = models.CharField(max_length=3)
    quantity = models.PositiveIntegerField(default=1, help_text="Seats.")
    # Queried by status through subscription_due_idx (status first); no index of its own, which every
    # period advance (a non-HOT update: current_period_end is indexed) would also have to write.
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    billing_cycle_anchor = models.DateTimeField(help_text="Periods are counted from here (UTC).")
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField()
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    trial_end_behavior = models.CharField(max_length=16, choices=TrialEndBehavior.choices,
                                          default=TrialEndBehavior.INCOMPLETE)
    trial_will_end_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    bill_during_pause = models.BooleanField(default=False, help_text="Keep billing the flat fee while paused.")
    resume_at = models.DateTimeField(null=True, blank=True, help_text="Resume automatically at this time.")
    # Enterprise deals: the subscription's own prices (minor units) and seats, over the plan's.
    flat_amount_override = models.BigIntegerField(null=True, blank=True)
    seat_amount_override = models.BigIntegerField(null=True, blank=True)
    included_seats_override = models.IntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "current_period_end"], name="subscription_due_idx")]

    def __str__(self):
        return f"subscription {self.pk} ({self.plan_id}, {self.status})"


class SubscriptionMetricOverride(TenantModel):
    """A subscription's own charge and/or limit for one metric; empty fields keep the plan's."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="metric_overrides")
    metric = models.ForeignKey("billing.BillableMetric", on_delete=models.PROTECT, related_name="+")
    charge_model = models.CharField(max_length=16, choices=ChargeModel.choices, blank=True)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    block_size = models.PositiveIntegerField(null=True, blank=True)
    package_size = models.PositiveIntegerField(null=True, blank=True)
    free_units = models.BigIntegerField(null=True, blank=True)
    tiers = models.JSONField(null=True, blank=True)
    included = models.BigIntegerField(null=True, blank=True, help_text="-1 = unlimited.")
    cap_mode = models.CharField(max_length=4, choices=CapMode.choices, blank=True)
    overage_allowed = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "metric"],
                                               name="subscription_metric_override_unique")]

    def __str__(self):
        return f"override {self.metric_id} on subscription {self.subscription_id}"


class ScheduledChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"
    CANCELED = "canceled", "Canceled"


class ScheduledChange(TenantModel):
    """A plan or quantity change that takes effect at the end of the current period."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="scheduled_changes")
    plan_version = models.ForeignKey("billing.PlanVersion", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    quantity = models.PositiveIntegerField(null=True, blank=True)
    effective_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ScheduledChangeStatus.choices,
                              default=ScheduledChangeStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscription"], condition=models.Q(status="pending"),
                                               name="one_pending_change_per_subscription")]


class ProrationKind(models.TextChoices):
    CREDIT = "credit", "Credit for unused time"
    CHARGE = "charge", "Charge for the rest of the period"


class ProrationItem(TenantModel):
    """A proration to be billed by invoicing: pending while `invoiced_at` is empty.

    `amount` is signed (credits negative) and equals round_half_up(full_amount *
    proration_factor); the inputs are stored so the line is reproducible.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="proration_items")
    kind = models.CharField(max_length=8, choices=ProrationKind.choices)
    description = models.CharField(max_length=300)
    amount = models.BigIntegerField()
    full_amount = models.BigIntegerField(help_text="The whole period's price the factor applies to.")
    currency = models.CharField(max_length=3)
    period_start = models.DateTimeField(help_text="Start of the prorated span (the change time).")
    period_end = models.DateTimeField()
    proration_factor = models.DecimalField(max_digits=14, decimal_places=10)
    old_plan_version = models.ForeignKey("billing.PlanVersion", on_delete=models.PROTECT, null=True,
                                         related_name="+")
    new_plan_version = models.ForeignKey("billing.PlanVersion", on_delete=models.PROTECT, null=True,
                                         related_name="+")
    quantity = models.PositiveIntegerField()
    bill_immediately = models.BooleanField(default=False, help_text="always_invoice: invoice now, not at renewal.")
    invoiced_at = models.DateTimeField(null=True, blank=True)
    invoice_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["subscription"], condition=models.Q(invoiced_at__isnull=True),
                                name="proration_pending_idx")]


class DiscountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class SubscriptionDiscount(TenantModel):
    """A coupon applied to a subscription, counting the periods it has been used for."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="discounts")
    coupon = models.ForeignKey("billing.Coupon", on_delete=models.PROTECT, related_name="+")
    promotion_code = models.ForeignKey("billing.PromotionCode", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    periods_total = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty = forever.")
    periods_used = models.PositiveSmallIntegerField(default=0)
    last_used_period_start = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=DiscountStatus.choices, default=DiscountStatus.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["subscription"], condition=models.Q(status="active"),
                                               name="one_active_discount_per_subscription")]
