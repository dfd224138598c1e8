"""An account's standing: how far past due its oldest unpaid invoice is, as the overdue policy names it.

Kept in billing, below metering, so the quota check reads it without importing payments, which
computes it (payments/services/overdue.py) and moves it through `STANDING_TRANSITIONS`.
"""

from django.core.validators import MinValueValidator
from django.db import models

from billing.transitions import TransitionTable, fields_picture

from .accounts import Account, TenantModel
from .catalog import Plan


class OverdueState(models.TextChoices):
    GOOD = "good", "Good standing"
    WARNING = "warning", "Warning (overdue)"
    RESTRICTED = "restricted", "Restricted (soft-limit usage refused)"
    SUSPENDED = "suspended", "Suspended"


# The order of severity: a later state is worse.
OVERDUE_ORDER = [OverdueState.GOOD, OverdueState.WARNING, OverdueState.RESTRICTED, OverdueState.SUSPENDED]


class FinalAction(models.TextChoices):
    PAUSE = "pause_subscription", "Pause the subscription"
    CANCEL = "cancel_subscription", "Cancel the subscription"
    NONE = "none", "Nothing (quota checks refuse everything)"


class AccountStanding(TenantModel):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="standing")
    overdue_state = models.CharField(max_length=16, choices=OverdueState.choices, default=OverdueState.GOOD)
    days_past_due = models.PositiveIntegerField(default=0, help_text="Of the oldest unpaid invoice, when last computed.")
    changed_at = models.DateTimeField(null=True, blank=True)
    # Subscriptions the policy paused at suspension: resumed when the account is back in good standing.
    paused_subscription_ids = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account standing"
        indexes = [models.Index(fields=["overdue_state"], name="standing_not_good_idx",
                                condition=~models.Q(overdue_state="good"))]

    def __str__(self):
        return f"{self.account_id}: {self.overdue_state}"


_O = OverdueState
STANDING_TRANSITIONS = TransitionTable(AccountStanding, {
    _O.GOOD: {_O.WARNING, _O.RESTRICTED, _O.SUSPENDED},
    _O.WARNING: {_O.GOOD, _O.RESTRICTED, _O.SUSPENDED},
    _O.RESTRICTED: {_O.GOOD, _O.WARNING, _O.SUSPENDED},
    _O.SUSPENDED: {_O.GOOD, _O.WARNING, _O.RESTRICTED},
}, initial={_O.GOOD}, field="overdue_state",
    picture=fields_picture("overdue_state", "days_past_due", "paused_subscription_ids"))


class PlanOverduePolicy(models.Model):
    """A plan's own overdue policy; a blank field takes the global default (OVERDUE_* settings)."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="overdue_policy")
    warning_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    restricted_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    suspended_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    final_action = models.CharField(max_length=24, choices=FinalAction.choices, blank=True)

    class Meta:
        verbose_name = "plan overdue policy"
        verbose_name_plural = "plan overdue policies"

    def __str__(self):
        return f"overdue policy of {self.plan_id}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from billing.selectors.standing import overdue_policy_merge

        policy = overdue_policy_merge(self)
        if not policy.warning_days < policy.restricted_days < policy.suspended_days:
            raise ValidationError({"restricted_days": "The days must increase: warning < restricted < suspended."})
