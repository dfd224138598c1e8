"""`plan_terms_for` for many subscriptions at once: the same PlanTerms, in three queries.

For set-based passes (invoicing's bill run): overrides, prices and charges of every
subscription are read with one query each instead of three per subscription. The
result for a subscription is exactly what `plan_terms_for(subscription)` returns
(tests/billing/test_plan_terms_bulk.py holds the two side by side).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from billing.models import PlanCharge, PlanPrice, Subscription, SubscriptionMetricOverride
from billing.selectors.terms import PlanTerms, charges_with_overrides, terms_from_rows


def plan_terms_for_many(subscriptions: Iterable[Subscription]) -> dict[int, PlanTerms]:
    """{subscription id: PlanTerms}; subscriptions need `plan` and `plan_version` (select_related them)."""
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    overrides: dict[int, dict] = defaultdict(dict)
    for override in SubscriptionMetricOverride.objects.filter(
            subscription_id__any=[s.pk for s in subscriptions]).select_related("metric"):
        overrides[override.subscription_id][override.metric_id] = override
    versions = {s.plan_version_id for s in subscriptions}
    prices = {(p.version_id, p.currency): p for p in PlanPrice.objects.filter(version_id__in=versions)}
    charges: dict[tuple[int, str], list[PlanCharge]] = defaultdict(list)
    # The model's ordering (metric code, currency), as the single selector reads them.
    for charge in PlanCharge.objects.filter(version_id__in=versions).select_related("metric"):
        charges[(charge.version_id, charge.currency)].append(charge)
    # Without overrides, a subscription's charge terms are its version's and currency's: made once
    # per (version, currency) and shared (frozen dataclasses), not once per subscription.
    shared: dict[tuple[int, str], tuple] = {}
    result = {}
    for s in subscriptions:
        key = (s.plan_version_id, s.currency)
        own = overrides.get(s.pk, {})
        if not own and key not in shared:
            shared[key] = charges_with_overrides(s, {}, charges.get(key, []))
        result[s.pk] = terms_from_rows(s, own, prices.get(key), charges.get(key, []),
                                       charge_terms=None if own else shared[key])
    return result
