"""Paying subscriptions by plan (the `billing_active_subscriptions` gauge).

MRR itself is analytics' (analytics/mrr.py, docs/metrics.md): worked out once per subscription and day
into its snapshot, which the dashboard, the API and `billing_mrr` read.
"""

from __future__ import annotations

from collections import Counter

from billing.models import Subscription, SubscriptionStatus

PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def subscriptions_paying_by_plan() -> dict[str, int]:
    """Active and past-due subscriptions per plan code."""
    rows = Subscription.objects.filter(status__in=PAYING).values_list("plan__code", flat=True)
    return dict(Counter(rows))
