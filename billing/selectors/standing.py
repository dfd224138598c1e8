"""Reads of an account's standing: the overdue policy that applies to it, and its overdue state.

The quota check reads the state on every request, so it is cached in Redis (one key per
account, written when the state changes, `standing_publish`) and read from PostgreSQL only when
the key is missing (then written back) or Redis is down. A state change is seen by every process
at its next quota check: nothing is cached per process.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import redis

from billing import conf
from billing.models import (
    LIVE_STATUSES,
    OVERDUE_ORDER,
    AccountStanding,
    OverdueState,
    PlanOverduePolicy,
    Subscription,
)
from billing.redis_client import client, key_prefix

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverduePolicy:
    warning_days: int
    restricted_days: int
    suspended_days: int
    final_action: str

    def state_for(self, days_past_due: int) -> str:
        """The state an account whose oldest unpaid invoice is `days_past_due` days late is in."""
        if days_past_due >= self.suspended_days:
            return OverdueState.SUSPENDED
        if days_past_due >= self.restricted_days:
            return OverdueState.RESTRICTED
        if days_past_due >= self.warning_days:
            return OverdueState.WARNING
        return OverdueState.GOOD


def overdue_policy_default() -> OverduePolicy:
    s = conf.settings
    return OverduePolicy(s.OVERDUE_WARNING_DAYS, s.OVERDUE_RESTRICTED_DAYS, s.OVERDUE_SUSPENDED_DAYS,
                         s.OVERDUE_FINAL_ACTION)


def overdue_policy_merge(plan_policy: PlanOverduePolicy | None) -> OverduePolicy:
    """A plan's policy, its blank fields filled from the global settings."""
    default = overdue_policy_default()
    if plan_policy is None:
        return default
    return OverduePolicy(plan_policy.warning_days or default.warning_days,
                         plan_policy.restricted_days or default.restricted_days,
                         plan_policy.suspended_days or default.suspended_days,
                         plan_policy.final_action or default.final_action)


def overdue_policy_for(*, account_id: int) -> OverduePolicy:
    """The policy of the plan of the account's oldest live subscription that has one, else the global one."""
    plan_ids = (Subscription.objects.filter(account_id=account_id, status__in=LIVE_STATUSES)
                .order_by("created_at", "id").values_list("plan_id", flat=True))
    policies = {p.plan_id: p for p in PlanOverduePolicy.objects.filter(plan_id__in=list(plan_ids))}
    return overdue_policy_merge(next((policies[pk] for pk in plan_ids if pk in policies), None))


def overdue_state_stored(account_id: int) -> str:
    return (AccountStanding.objects.filter(account_id=account_id).values_list("overdue_state", flat=True).first()
            or OverdueState.GOOD)


def overdue_worse(state: str, than: str) -> bool:
    return OVERDUE_ORDER.index(state) > OVERDUE_ORDER.index(than)


def standing_key(account_id: int) -> str:
    return f"{key_prefix()}:standing:{account_id}"


def standing_publish(account_id: int, state: str) -> None:
    """Write the state where the quota checks read it (after the change committed). A failure leaves the
    old value: it is deleted instead, so the next check reads PostgreSQL."""
    try:
        client().set(standing_key(account_id), state)
    except redis.RedisError as exc:
        logger.warning("standing of account %s not published to Redis (%s)", account_id, exc)
        with contextlib.suppress(redis.RedisError):
            client().delete(standing_key(account_id))


def overdue_state(account_id: int) -> str:
    """The account's overdue state for a quota check: Redis, else PostgreSQL (then cached in Redis)."""
    try:
        cached = client().get(standing_key(account_id))
    except redis.RedisError:
        return overdue_state_stored(account_id)
    if cached is not None:
        return cached.decode()
    state = overdue_state_stored(account_id)
    with contextlib.suppress(redis.RedisError):
        client().set(standing_key(account_id), state, nx=True)
    return state


def account_standing_of(account_id: int) -> AccountStanding | None:
    """The account's standing row (None: never overdue, so good)."""
    return AccountStanding.objects.filter(account_id=account_id).first()
