"""`subscription_period_advance` for many subscriptions at once (invoicing's set-based bill run).

The plain renewal (an active or past-due subscription with no trial ending, no
cancellation at period end and no scheduled change due) is done for all of them with
one lock query, one UPDATE statement sent for all rows, and one INSERT each for the
audit entries and the events: the same rows `subscription_period_advance` writes one
by one (tests/billing/test_period_advance_bulk.py compares them). Every other case
is handed to `subscription_period_advance` itself.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing.audit import audit_record_many, snapshot, snapshot_changed
from billing.models import ScheduledChange, ScheduledChangeStatus, Subscription, SubscriptionStatus
from billing.outbox import event_record_many
from billing.rows import rows_copy_update
from billing.services.lifecycle import subscription_period_advance
from pricing import periods

S = SubscriptionStatus
NOT_ADVANCED = (S.CANCELED, S.INCOMPLETE_EXPIRED, S.INCOMPLETE)
LABEL = Subscription._meta.label_lower


def subscriptions_period_advance_many(*, expected_period_ends: dict[int, datetime]) -> dict[int, bool]:
    """{subscription id: advanced?} for {subscription id: the period end the caller billed}.
    Must run inside the caller's transaction (the rows stay locked until it ends)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("subscriptions_period_advance_many must run inside the caller's transaction")
    # Set-based: the chunk's rows locked in one statement, in id order (row_lock locks one).
    subs = list(Subscription.objects.select_for_update(of=("self",)).select_related("plan", "plan_version")
                .filter(pk__any=list(expected_period_ends)).order_by("pk"))
    return subscriptions_period_advance_locked(subscriptions=subs, expected_period_ends=expected_period_ends)[0]


def subscriptions_period_advance_locked(*, subscriptions: list[Subscription], expected_period_ends: dict[int, datetime],
                                        ) -> tuple[dict[int, bool], set[int]]:
    """`subscriptions_period_advance_many` for subscriptions the caller has already locked (FOR UPDATE,
    in this transaction, with `plan` selected), rather than reading them again. Returns the result
    and the ids renewed in place on the given objects (the plain renewals); the others went through
    `subscription_period_advance`, which reads its own copy: the caller's objects are stale for them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("subscriptions_period_advance_locked must run inside the caller's transaction")
    subs = sorted(subscriptions, key=lambda s: s.pk)
    result = {pk: False for pk in expected_period_ends}
    due = [s for s in subs if s.current_period_end == expected_period_ends[s.pk] and s.status not in NOT_ADVANCED]
    changing: dict[int, datetime] = {}  # the earliest pending change of each subscription
    if due:
        for change in ScheduledChange.objects.filter(
                subscription_id__any=[s.pk for s in due], status=ScheduledChangeStatus.PENDING,
                effective_at__lte=max(s.current_period_end for s in due)):
            earliest = changing.get(change.subscription_id)
            changing[change.subscription_id] = min(earliest, change.effective_at) if earliest else change.effective_at
    plain, others = [], []
    for s in due:
        special = (s.status == S.TRIALING or s.cancel_at_period_end
                   or (s.pk in changing and changing[s.pk] <= s.current_period_end))
        (others if special else plain).append(s)
    audits, events = [], []
    now = timezone.now()
    for s in plain:
        before = snapshot(s)
        boundary = s.current_period_end
        s.current_period_start = boundary
        s.current_period_end = periods.next_boundary_after(s.billing_cycle_anchor, s.plan.interval,
                                                           s.plan.interval_count, boundary)
        s.updated_at = now
        # Only the period moved (updated_at is not in a snapshot): the picture after, without a second one.
        after = snapshot_changed(before, current_period_start=s.current_period_start,
                                 current_period_end=s.current_period_end)
        audits.append({"action": "subscription.renewed", "object_type": LABEL, "object_id": s.pk,
                       "account_id": s.account_id, "before": before, "after": after})
        events.append({"type": "billing.subscription.updated", "account_id": s.account_id, "payload": {
            "subscription_id": s.pk, "account_id": s.account_id, "status": s.status, "plan": s.plan.code,
            "plan_version_id": s.plan_version_id, "quantity": s.quantity,
            "current_period_start": s.current_period_start, "current_period_end": s.current_period_end,
            "cancel_at_period_end": s.cancel_at_period_end, "action": "renewed",
            "scheduled_change_applied": False, "previous_period_end": boundary}})
        result[s.pk] = True
    if plain:
        rows_copy_update(Subscription, ["current_period_start", "current_period_end", "updated_at"],
                         [(s.pk, s.current_period_start, s.current_period_end, s.updated_at) for s in plain])
        audit_record_many(audits)
        event_record_many(events)
    for s in others:
        result[s.pk] = subscription_period_advance(subscription=s, expected_period_end=expected_period_ends[s.pk])
    return result, {s.pk for s in plain}
