"""Moving an account's overdue state (good -> warning -> restricted -> suspended, and back to good).

Payments decides the state from the account's unpaid invoices (payments/services/overdue.py) and
calls `account_standing_change`; this module locks the standing row, moves it through
`STANDING_TRANSITIONS` (audited, event `billing.account.overdue_state_changed` with the old and the
new state), takes the policy's final action on suspension (pause or cancel the live subscriptions),
resumes what it paused when the account is back in good standing, and publishes the state to Redis
once the change commits, where the quota checks read it.
"""

from __future__ import annotations

from django.db import transaction

from billing import clock
from billing.models import (
    STANDING_TRANSITIONS,
    AccountStanding,
    FinalAction,
    OverdueState,
    Subscription,
    SubscriptionStatus,
)
from billing.selectors.standing import overdue_policy_for, standing_publish
from billing.transitions import row_lock, transition

OVERDUE_STATE_CHANGED = "billing.account.overdue_state_changed"
# Subscriptions the final action applies to: those still giving service.
SERVING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.TRIALING)


@transaction.atomic
def account_standing_change(*, account_id: int, state: str, days_past_due: int, reason: str = "") -> AccountStanding:
    """Put the account in `state` (idempotent: the same state again only refreshes `days_past_due`)."""
    AccountStanding.objects.get_or_create(account_id=account_id)
    standing = row_lock(AccountStanding, account_id=account_id)
    if standing.overdue_state == state:
        if standing.days_past_due != days_past_due:
            standing.days_past_due = days_past_due
            standing.save(update_fields=["days_past_due", "updated_at"])
        return standing
    previous = standing.overdue_state
    paused = list(standing.paused_subscription_ids)
    if state == OverdueState.SUSPENDED:
        paused += _final_action(account_id)
    elif state == OverdueState.GOOD and paused:
        _resume(paused)
        paused = []
    transition(standing, state, table=STANDING_TRANSITIONS, action="account.overdue_state_changed", reason=reason,
               changes={"days_past_due": days_past_due, "changed_at": clock.now(),
                        "paused_subscription_ids": paused},
               event=OVERDUE_STATE_CHANGED, payload=lambda moved: {
                   "account_id": account_id, "previous_state": previous, "overdue_state": moved.overdue_state,
                   "days_past_due": days_past_due, "reason": reason})
    transaction.on_commit(lambda: standing_publish(account_id, state))
    return standing


def _final_action(account_id: int) -> list[int]:
    """Suspension's final action on the account's serving subscriptions; returns the ids it paused."""
    from billing.services.subscriptions import subscription_cancel, subscription_pause

    action = overdue_policy_for(account_id=account_id).final_action
    paused = []
    for subscription in Subscription.objects.filter(account_id=account_id, status__in=SERVING).order_by("id"):
        if action == FinalAction.PAUSE and subscription.status != SubscriptionStatus.TRIALING:
            subscription_pause(subscription=subscription)
            paused.append(subscription.pk)
        elif action == FinalAction.CANCEL:
            subscription_cancel(subscription=subscription, at_period_end=False,
                                reason="Suspended: invoices unpaid past the overdue policy.")
    return paused


def _resume(subscription_ids: list[int]) -> None:
    from billing.services.subscriptions import subscription_resume

    for subscription in Subscription.objects.filter(pk__in=subscription_ids, status=SubscriptionStatus.PAUSED):
        subscription_resume(subscription=subscription)
