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
from billing.selectors.terms import PlanTerms, _charge_terms


def plan_terms_for_many(subscriptions: Iterable[Subscription]) -> dict[int, PlanTerms]:
    """{subscription id: PlanTerms}; subscriptions need `plan` and `plan_version` (select_related them)."""
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    overrides: dict[int, dict] = defaultdict(dict)
    for override in SubscriptionMetricOverride.objects.filter(
            subscription_id__in=[s.pk for s in subscriptions]).select_related("metric"):
        overrides[override.subscription_id][override.metric_id] = override
    versions = {s.plan_version_id for s in subscriptions}
    prices = {(p.version_id, p.currency): p for p in PlanPrice.objects.filter(version_id__in=versions)}
    charges: dict[tuple[int, str], list[PlanCharge]] = defaultdict(list)
    # The model's ordering (metric code, currency), as the single selector reads them.
    for charge in PlanCharge.objects.filter(version_id__in=versions).select_related("metric"):
        charges[(charge.version_id, charge.currency)].append(charge)
    return {s.pk: _terms(s, overrides.get(s.pk, {}), prices.get((s.plan_version_id, s.currency)),
                         charges.get((s.plan_version_id, s.currency), []))
            for s in subscriptions}


def _terms(subscription: Subscription, overrides: dict, price: PlanPrice | None,
           charges: list[PlanCharge]) -> PlanTerms:
    version, plan = subscription.plan_version, subscription.plan
    flat = price.flat_amount if price else 0
    seat = price.seat_amount if price else None
    if subscription.flat_amount_override is not None:
        flat = subscription.flat_amount_override
    if subscription.seat_amount_override is not None:
        seat = subscription.seat_amount_override
    included = version.included_seats
    if subscription.included_seats_override is not None:
        included = subscription.included_seats_override
    result = [_charge_terms(c, overrides.get(c.metric_id)) for c in charges]
    charged = {c.metric_id for c in charges}
    for metric_id, override in overrides.items():  # a deal may price a metric the plan does not charge for
        if metric_id not in charged and (override.unit_price is not None or override.tiers):
            result.append(_charge_terms(PlanCharge(metric=override.metric, currency=subscription.currency), override))
    return PlanTerms(
        subscription_id=subscription.pk, plan_code=plan.code, plan_name=plan.name, plan_version_id=version.pk,
        currency=subscription.currency, interval=plan.interval, interval_count=plan.interval_count,
        flat_amount=flat, seat_amount=seat, included_seats=included, quantity=subscription.quantity,
        charges=tuple(result),
    )
