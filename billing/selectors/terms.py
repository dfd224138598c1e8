"""What a subscription is sold at, with the per-subscription overrides applied.

These frozen dataclasses are the contract other apps code against:

- `plan_terms_for(subscription) -> PlanTerms`: invoicing's bill runs.
- `entitlements_for(account_id=, at=) -> list[Entitlement]`: metering's quotas.
- `charge_from_terms(charge_terms) -> pricing.Charge`: what the pricing engine prices
  (invoices, and metering's usage costs).

Pricing conventions (`ChargeTerms`):
- `free_units` are taken off the period's quantity before any price applies.
- `standard`: `unit_price` per `block_size` units, a part of a block priced pro
  rata (block_size 1 = plain per unit); for "per started block" use `package`.
- `package`: `unit_price` per started package of `package_size` units.
- `graduated` / `volume`: `tiers` ordered by `up_to` (units after the free units;
  `None` = infinity), `pricing.Tier`s: each tier's `unit_price` is per `block_size`
  units (1 unless set) plus its `flat_fee` (major units, as every price here; the
  catalog stores it in minor units). Graduated prices each tier's slice;
  volume prices the whole quantity at the tier it lands in.
- Prices are `Decimal` with up to 6 decimal places, in major units of `currency`
  (dollars, not cents); a line's amount is rounded once, half up, to minor units.
- Flat and seat amounts in `PlanTerms` are integers in minor units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing import clock
from billing.models import (
    LIVE_STATUSES,
    UNLIMITED,
    CapMode,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    Subscription,
    SubscriptionMetricOverride,
    SubscriptionStatus,
)
from pricing import Charge, Tier, to_major
from pricing.periods import period_containing

DEFAULT_ALERT_THRESHOLDS = (80, 100, 120)


@dataclass(frozen=True)
class ChargeTerms:
    metric_code: str
    model: str  # standard | graduated | volume | package
    currency: str
    unit_price: Decimal
    block_size: int = 1
    package_size: int = 1
    free_units: int = 0
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True)
class PlanTerms:
    subscription_id: int
    plan_code: str
    plan_name: str
    plan_version_id: int
    currency: str
    interval: str  # day | week | month | year
    interval_count: int
    flat_amount: int  # minor units per period
    seat_amount: int | None  # minor units per seat above the included seats; None = seats not sold
    included_seats: int  # -1 = unlimited
    quantity: int
    charges: tuple[ChargeTerms, ...]

    @property
    def billable_seats(self) -> int:
        if self.included_seats == UNLIMITED or self.seat_amount is None:
            return 0
        return max(0, self.quantity - self.included_seats)

    @property
    def recurring_amount(self) -> int:
        """Flat fee plus seats above the included ones, per period, in minor units."""
        return self.flat_amount + self.billable_seats * (self.seat_amount or 0)

    def charge_for(self, metric_code: str) -> ChargeTerms | None:
        return next((c for c in self.charges if c.metric_code == metric_code), None)


@dataclass(frozen=True)
class Entitlement:
    subscription_id: int
    metric_code: str
    included: int  # -1 = unlimited
    cap_mode: str  # soft | hard
    overage_allowed: bool
    grace_percent: int
    alert_thresholds: tuple[int, ...]
    period_start: datetime
    period_end: datetime
    charge: ChargeTerms | None


def tiers_from_json(raw, currency: str) -> tuple[Tier, ...]:
    """A charge's stored tiers (flat fees in minor units of `currency`) as pricing's tiers."""
    return tuple(
        Tier(up_to=None if t.get("up_to") in (None, "") else int(t["up_to"]),
             unit_price=Decimal(str(t.get("unit_price", "0"))),
             flat_fee=to_major(int(t.get("flat_fee") or 0), currency))
        for t in (raw or [])
    )


def charge_from_terms(terms: ChargeTerms) -> Charge:
    """A usage charge as the pricing engine prices it (packages: per `package_size` units)."""
    per = terms.package_size if terms.model == "package" else terms.block_size
    return Charge(
        metric_code=terms.metric_code, model=terms.model, unit_price=terms.unit_price, block_size=Decimal(per or 1),
        free_units=Decimal(terms.free_units or 0), tiers=terms.tiers,
    )


def _charge_terms(charge: PlanCharge, override: SubscriptionMetricOverride | None) -> ChargeTerms:
    def pick(name, plan_value):
        if override is None:
            return plan_value
        value = getattr(override, name)
        return plan_value if value in (None, "") else value

    model = override.charge_model if override is not None and override.charge_model else charge.model
    tiers = override.tiers if override is not None and override.tiers is not None else charge.tiers
    return ChargeTerms(
        metric_code=charge.metric.code, model=model, currency=charge.currency,
        unit_price=Decimal(pick("unit_price", charge.unit_price)),
        block_size=int(pick("block_size", charge.block_size)),
        package_size=int(pick("package_size", charge.package_size)),
        free_units=int(pick("free_units", charge.free_units)),
        tiers=tiers_from_json(tiers, charge.currency),
    )


def _overrides(subscription: Subscription) -> dict[int, SubscriptionMetricOverride]:
    return {o.metric_id: o for o in
            SubscriptionMetricOverride.objects.filter(subscription=subscription).select_related("metric")}


def charge_terms_for(subscription: Subscription, overrides=None) -> tuple[ChargeTerms, ...]:
    overrides = _overrides(subscription) if overrides is None else overrides
    charges = PlanCharge.objects.filter(version_id=subscription.plan_version_id,
                                        currency=subscription.currency).select_related("metric")
    return charges_with_overrides(subscription, overrides, list(charges))


def charges_with_overrides(subscription: Subscription, overrides: dict,
                            charges: list[PlanCharge]) -> tuple[ChargeTerms, ...]:
    result = [_charge_terms(c, overrides.get(c.metric_id)) for c in charges]
    charged = {c.metric_id for c in charges}
    # A deal may price a metric the plan does not charge for.
    for metric_id, override in overrides.items():
        if metric_id not in charged and (override.unit_price is not None or override.tiers):
            base = PlanCharge(metric=override.metric, currency=subscription.currency)
            result.append(_charge_terms(base, override))
    return tuple(result)


def plan_terms_for(subscription: Subscription) -> PlanTerms:
    """The effective prices of a subscription: its plan version in its currency, overrides applied."""
    return _plan_terms(subscription, _overrides(subscription))


def hypothetical_terms(subscription: Subscription, *, plan_version=None, quantity: int | None = None) -> PlanTerms:
    """The terms the subscription would have after a change (previews, prorations); writes nothing.

    A plan change drops the subscription's price overrides (they were agreed for the old plan).
    """
    import copy

    candidate = copy.copy(subscription)
    overrides = None
    if plan_version is not None and plan_version.pk != subscription.plan_version_id:
        candidate.plan_version = plan_version
        candidate.plan = plan_version.plan
        candidate.flat_amount_override = candidate.seat_amount_override = None
        candidate.included_seats_override = None
        overrides = {}
    if quantity is not None:
        candidate.quantity = quantity
    return _plan_terms(candidate, _overrides(subscription) if overrides is None else overrides)


def _plan_terms(subscription: Subscription, overrides: dict) -> PlanTerms:
    price = PlanPrice.objects.filter(version=subscription.plan_version, currency=subscription.currency).first()
    charges = PlanCharge.objects.filter(version_id=subscription.plan_version_id,
                                        currency=subscription.currency).select_related("metric")
    return terms_from_rows(subscription, overrides, price, list(charges))


def terms_from_rows(subscription: Subscription, overrides: dict, price: PlanPrice | None,
                    charges: list[PlanCharge], charge_terms: tuple[ChargeTerms, ...] | None = None) -> PlanTerms:
    """PlanTerms from rows already read (one subscription here, a whole chunk in terms_bulk).
    `charge_terms`: the charges' terms already made from the same rows and overrides."""
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
    return PlanTerms(
        subscription_id=subscription.pk, plan_code=plan.code, plan_name=plan.name, plan_version_id=version.pk,
        currency=subscription.currency, interval=plan.interval, interval_count=plan.interval_count,
        flat_amount=flat, seat_amount=seat, included_seats=included, quantity=subscription.quantity,
        charges=charges_with_overrides(subscription, overrides, charges) if charge_terms is None else charge_terms,
    )


def period_at(subscription: Subscription, at: datetime) -> tuple[datetime, datetime]:
    """The subscription's current period; once it has ended but the renewal has not run yet,
    the period `at` falls in, counted as the renewal will count it."""
    if at < subscription.current_period_end:
        return subscription.current_period_start, subscription.current_period_end
    plan = subscription.plan
    anchor = (subscription.current_period_end if subscription.status == SubscriptionStatus.TRIALING
              else subscription.billing_cycle_anchor)
    return period_containing(anchor, plan.interval, plan.interval_count, at)


def entitlements_for_subscription(subscription: Subscription, at: datetime | None = None) -> list[Entitlement]:
    period_start, period_end = period_at(subscription, at or clock.now())
    overrides = _overrides(subscription)
    charges = {c.metric_code: c for c in charge_terms_for(subscription, overrides)}
    limits = PlanLimit.objects.filter(version_id=subscription.plan_version_id).select_related("metric")
    result = []
    seen = set()
    for limit in limits:
        override = overrides.get(limit.metric_id)
        included, cap_mode, overage_allowed = limit.included, limit.cap_mode, limit.overage_allowed
        if override is not None:
            included = override.included if override.included is not None else included
            cap_mode = override.cap_mode or cap_mode
            overage_allowed = override.overage_allowed if override.overage_allowed is not None else overage_allowed
        seen.add(limit.metric.code)
        result.append(Entitlement(
            subscription_id=subscription.pk, metric_code=limit.metric.code, included=int(included),
            cap_mode=cap_mode, overage_allowed=overage_allowed, grace_percent=limit.grace_percent,
            alert_thresholds=tuple(limit.alert_thresholds or DEFAULT_ALERT_THRESHOLDS),
            period_start=period_start, period_end=period_end,
            charge=charges.get(limit.metric.code),
        ))
    # A deal may limit a metric the plan does not.
    for override in overrides.values():
        code = override.metric.code
        if code not in seen and override.included is not None:
            seen.add(code)
            result.append(Entitlement(
                subscription_id=subscription.pk, metric_code=code, included=int(override.included),
                cap_mode=override.cap_mode or CapMode.SOFT,
                overage_allowed=True if override.overage_allowed is None else override.overage_allowed,
                grace_percent=0, alert_thresholds=DEFAULT_ALERT_THRESHOLDS,
                period_start=period_start, period_end=period_end,
                charge=charges.get(code),
            ))
    # A charged metric without a limit is pay-as-you-go: never refused, billed as it comes.
    for code, charge in charges.items():
        if code not in seen:
            result.append(Entitlement(
                subscription_id=subscription.pk, metric_code=code, included=UNLIMITED, cap_mode=CapMode.SOFT,
                overage_allowed=True, grace_percent=0, alert_thresholds=DEFAULT_ALERT_THRESHOLDS,
                period_start=period_start, period_end=period_end,
                charge=charge,
            ))
    return result


def entitlements_for(*, account_id: int, at: datetime | None = None) -> list[Entitlement]:
    """What an account may use now: one entry per metric of each live subscription.

    Live = trialing, active or past_due, started by `at` and not ended. Periods are
    each subscription's current period (or, when it has ended and the renewal has not
    run yet, the period `at` falls in). Runs in the caller's RLS scope.
    """
    at = at or clock.now()
    subscriptions = (
        Subscription.objects.filter(account_id=account_id, status__in=LIVE_STATUSES, started_at__lte=at)
        .select_related("plan", "plan_version").order_by("id")
    )
    result = []
    for subscription in subscriptions:
        result.extend(entitlements_for_subscription(subscription, at))
    return result
