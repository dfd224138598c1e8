"""Moving subscriptions through time: period renewal, trial ends, scheduled resumes, expiry.

`subscription_period_advance` is what invoicing calls after billing an ended period;
the periodic job `subscriptions_roll` does the rest (unbilled paused periods,
trial_will_end notices, trials that ended, automatic resumes, stale incompletes).
Each step locks its row and re-checks, so every job is safe to run twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from billing import clock
from billing.audit import snapshot
from billing.models import ScheduledChange, ScheduledChangeStatus, Subscription, SubscriptionStatus
from billing.selectors.subscriptions import subscriptions_to_advance_unbilled
from billing.services.subscriptions import (
    TRIAL_WILL_END_NOTICE,
    WITH_PLAN,
    end_trial,
    ending,
    plan_version_apply,
    record,
    status_change,
    subscription_resume,
    subscription_trial_will_end_notify,
)
from billing.transitions import row_lock
from pricing import periods

S = SubscriptionStatus
INCOMPLETE_EXPIRES_AFTER = timedelta(hours=23)
logger = logging.getLogger(__name__)


@transaction.atomic
def subscription_period_advance(*, subscription: Subscription, expected_period_end: datetime) -> bool:
    """Move to the next period if the current one still ends at `expected_period_end`.

    Applies, in order: the end of a trial (into active, incomplete or canceled), a
    cancellation at period end, a scheduled plan or quantity change, then the new
    period. Returns False (and changes nothing) when the period has already moved,
    so running it twice is harmless. The caller decides that the period is over
    (`subscriptions_due(at=)` lists those that are).
    """
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if subscription.current_period_end != expected_period_end:
        return False
    if subscription.status in (S.CANCELED, S.INCOMPLETE_EXPIRED, S.INCOMPLETE):
        return False
    boundary = subscription.current_period_end
    if subscription.status == S.TRIALING:
        end_trial(subscription, boundary)
        if subscription.status == S.CANCELED or not subscription.cancel_at_period_end:
            return True
        # a trial set to cancel at its end stops here too
    before = snapshot(subscription)
    if subscription.cancel_at_period_end:
        status_change(subscription, S.CANCELED, "canceled", before, event="canceled",
                      extra={"reason": "cancel_at_period_end"}, **ending(subscription, boundary))
        return True
    change = row_lock(ScheduledChange, subscription=subscription, status=ScheduledChangeStatus.PENDING,
                      effective_at__lte=boundary, required=False)
    interval_before = (subscription.plan.interval, subscription.plan.interval_count)
    if change is not None:
        plan_version_apply(subscription, change.plan_version or subscription.plan_version,
                       change.quantity or subscription.quantity, at=boundary)
        change.status = ScheduledChangeStatus.APPLIED
        change.save(update_fields=["status"])
    plan = subscription.plan
    if (plan.interval, plan.interval_count) != interval_before:
        subscription.billing_cycle_anchor = boundary  # a new interval counts from the change
    subscription.current_period_start = boundary
    subscription.current_period_end = periods.next_boundary_after(
        subscription.billing_cycle_anchor, plan.interval, plan.interval_count, boundary)
    subscription.save()
    record(subscription, "renewed", before, event="updated",
           extra={"scheduled_change_applied": change is not None, "previous_period_end": boundary})
    return True


def subscriptions_roll(*, at: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic job: everything time-driven that invoicing does not drive. Safe to run twice."""
    at = at or clock.now()
    done = {"trial_will_end": 0, "trials_ended": 0, "paused_periods": 0, "resumed": 0, "expired": 0}
    soon = at + TRIAL_WILL_END_NOTICE
    for sub in Subscription.objects.filter(status=S.TRIALING, trial_will_end_sent_at__isnull=True,
                                           trial_end__lte=soon)[:limit]:
        done["trial_will_end"] += subscription_trial_will_end_notify(subscription=sub)
    # Trials carry no charge, so their end does not wait for a bill run.
    for sub in Subscription.objects.filter(status=S.TRIALING, current_period_end__lte=at)[:limit]:
        done["trials_ended"] += subscription_period_advance(subscription=sub,
                                                            expected_period_end=sub.current_period_end)
    for sub in Subscription.objects.filter(status=S.PAUSED, resume_at__lte=at)[:limit]:
        with transaction.atomic():
            locked = row_lock(Subscription, sub, related=WITH_PLAN)
            if locked.status == S.PAUSED and locked.resume_at is not None and locked.resume_at <= at:
                subscription_resume(subscription=locked)
                done["resumed"] += 1
    for sub in subscriptions_to_advance_unbilled(at=at)[:limit]:
        while subscription_period_advance(subscription=sub, expected_period_end=sub.current_period_end):
            done["paused_periods"] += 1
            sub.refresh_from_db()
            if sub.current_period_end > at:
                break
    for sub in Subscription.objects.filter(status=S.INCOMPLETE,
                                           current_period_start__lte=at - INCOMPLETE_EXPIRES_AFTER)[:limit]:
        done["expired"] += subscription_expire_incomplete(subscription=sub)
    return done


@transaction.atomic
def subscription_expire_incomplete(*, subscription: Subscription) -> bool:
    """An incomplete subscription whose first payment never came (23 hours, as Stripe)."""
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    if (subscription.status != S.INCOMPLETE
            or subscription.current_period_start > clock.now() - INCOMPLETE_EXPIRES_AFTER):
        return False  # paid meanwhile, or not due yet: the job runs again
    status_change(subscription, S.INCOMPLETE_EXPIRED, "incomplete_expired", snapshot(subscription),
                  event="canceled", extra={"reason": "incomplete_expired"}, ended_at=clock.now())
    return True
