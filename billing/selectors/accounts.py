"""Reads for accounts, memberships and API keys."""

from __future__ import annotations

from billing import tenancy
from billing.models import Membership


def memberships_of(user) -> list[Membership]:
    """Every account a user may act for. Trusted: runs before a scope is chosen."""
    with tenancy.operator_scope():
        return list(
            Membership.objects.filter(user=user, account__is_active=True)
            .select_related("account")
            .order_by("account__name", "account_id")
        )


def membership_for(user, account_id: int | None) -> Membership | None:
    """The membership for the requested account, or the user's first one."""
    memberships = memberships_of(user)
    for membership in memberships:
        if account_id is not None and membership.account_id == account_id:
            return membership
    return memberships[0] if memberships else None
