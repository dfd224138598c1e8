"""Catalog writes: products, plans and plan versions (grandfathering). A subscription's own prices: overrides.py.

Pricing input, shared by every function here:
- `prices`: {"USD": {"flat_amount": 9900, "seat_amount": 500 or None}, ...} (minor units)
- `charges`: [{"metric": "api_calls", "currency": "USD", "model": "standard", "unit_price": "0.001",
   "block_size": 1, "package_size": 1, "free_units": 0, "tiers": [{"up_to": 1000, "unit_price": "0.01",
   "flat_fee": 0}, {"up_to": None, ...}]}]
- `limits`: [{"metric": "api_calls", "included": 100000 or -1, "cap_mode": "soft", "overage_allowed": True,
   "grace_percent": 0, "alert_thresholds": [80, 100, 120]}]
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from django.db import transaction

from billing.audit import audit_record, snapshot
from billing.errors import ValidationFailed
from billing.models import (
    UNLIMITED,
    BillableMetric,
    CapMode,
    ChangeTiming,
    ChargeModel,
    Interval,
    Plan,
    PlanCharge,
    PlanLimit,
    PlanPrice,
    PlanVersion,
    Product,
    ProrationBehavior,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    TrialEndBehavior,
)
from billing.outbox import event_record
from billing.selectors.terms import plan_terms_for
from billing.services.customers import clean_currency
from billing.transitions import row_lock
from pricing.money import MAX_AMOUNT, too_large_message

ENDED_STATUSES = ("canceled", "incomplete_expired")
PLAN_ATTRS = {"name", "description", "interval", "interval_count", "trial_days", "trial_end_behavior", "is_public",
              "is_active", "sort_order", "features", "upgrade_timing", "downgrade_timing", "proration_behavior",
              "product"}
CHOICES = {"interval": Interval, "trial_end_behavior": TrialEndBehavior, "upgrade_timing": ChangeTiming,
           "downgrade_timing": ChangeTiming, "proration_behavior": ProrationBehavior}
SIX_PLACES = Decimal("0.000001")


def catalog_metric(code_or_metric, field: str):
    """The billable metric given, or the one with that code (ValidationFailed naming `field` if none)."""
    if isinstance(code_or_metric, BillableMetric):
        return code_or_metric
    metric = BillableMetric.objects.filter(code=code_or_metric).first()
    if metric is None:
        raise ValidationFailed({field: f"No billable metric {code_or_metric!r}."})
    return metric


def clean_price(value, field: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ValidationFailed({field: "Must be a decimal number."}) from None
    if price < 0:
        raise ValidationFailed({field: "Must not be negative."})
    if price != price.quantize(SIX_PLACES):
        raise ValidationFailed({field: "At most 6 decimal places."})
    return price


def clean_amount(value, field: str, currency: str | None = None) -> int:
    """A typed amount: whole minor units, zero or more, at most MAX_AMOUNT (pricing/money.py)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed({field: "Must be a whole number of minor units."})
    if value > MAX_AMOUNT:
        raise ValidationFailed({field: too_large_message(currency)})
    return value


def clean_tiers(tiers, field: str, currency: str | None = None) -> list[dict]:
    cleaned, previous = [], 0
    for i, tier in enumerate(tiers or []):
        up_to = tier.get("up_to")
        if up_to is not None:
            if not isinstance(up_to, int) or up_to <= previous:
                raise ValidationFailed({f"{field}[{i}].up_to": "Must be a whole number above the previous tier's."})
            previous = up_to
        elif i != len(tiers) - 1:
            raise ValidationFailed({f"{field}[{i}].up_to": "Only the last tier may be open-ended."})
        flat_fee = clean_amount(tier.get("flat_fee") or 0, f"{field}[{i}].flat_fee", currency)
        cleaned.append({"up_to": up_to, "unit_price": str(clean_price(tier.get("unit_price", 0),
                                                                      f"{field}[{i}].unit_price")),
                        "flat_fee": flat_fee})
    return cleaned


def _clean_charge(raw: dict, i: int) -> dict:
    field = f"charges[{i}]"
    model = raw.get("model", ChargeModel.STANDARD)
    if model not in ChargeModel.values:
        raise ValidationFailed({f"{field}.model": f"Must be one of {', '.join(ChargeModel.values)}."})
    currency = clean_currency(raw.get("currency", ""), f"{field}.currency")
    tiers = clean_tiers(raw.get("tiers"), f"{field}.tiers", currency)
    if model in (ChargeModel.GRADUATED, ChargeModel.VOLUME) and (not tiers or tiers[-1]["up_to"] is not None):
        raise ValidationFailed({f"{field}.tiers": "Give tiers ending with an open-ended one (up_to null)."})
    sizes = {}
    for name in ("block_size", "package_size"):
        value = raw.get(name, 1)
        if not isinstance(value, int) or value < 1:
            raise ValidationFailed({f"{field}.{name}": "Must be a whole number of at least 1."})
        sizes[name] = value
    free_units = raw.get("free_units", 0)
    if not isinstance(free_units, int) or free_units < 0:
        raise ValidationFailed({f"{field}.free_units": "Must be a whole number, zero or more."})
    return {"metric": catalog_metric(raw.get("metric"), f"{field}.metric"),
            "currency": currency, "model": model,
            "unit_price": clean_price(raw.get("unit_price", 0), f"{field}.unit_price"), "tiers": tiers,
            "free_units": free_units, **sizes}


def _clean_limit(raw: dict, i: int) -> dict:
    field = f"limits[{i}]"
    included = raw.get("included", UNLIMITED)
    if not isinstance(included, int) or included < UNLIMITED:
        raise ValidationFailed({f"{field}.included": "Must be a whole number, or -1 for unlimited."})
    cap_mode = raw.get("cap_mode", CapMode.SOFT)
    if cap_mode not in CapMode.values:
        raise ValidationFailed({f"{field}.cap_mode": "Must be soft or hard."})
    thresholds = list(raw.get("alert_thresholds") or [80, 100, 120])
    if any(not isinstance(t, int) or t <= 0 for t in thresholds):
        raise ValidationFailed({f"{field}.alert_thresholds": "Percentages as whole numbers above 0."})
    return {"metric": catalog_metric(raw.get("metric"), f"{field}.metric"), "included": included, "cap_mode": cap_mode,
            "overage_allowed": bool(raw.get("overage_allowed", True)),
            "grace_percent": int(raw.get("grace_percent", 0)), "alert_thresholds": sorted(thresholds)}


def _clean_prices(prices: dict) -> dict[str, dict]:
    if not prices:
        raise ValidationFailed({"prices": "Give at least one currency's price."})
    cleaned = {}
    for currency, price in prices.items():
        code = clean_currency(currency, f"prices.{currency}")
        flat = clean_amount(price.get("flat_amount", 0), f"prices.{code}.flat_amount", code)
        seat = price.get("seat_amount")
        if seat is not None:
            seat = clean_amount(seat, f"prices.{code}.seat_amount", code)
        cleaned[code] = {"flat_amount": flat, "seat_amount": seat}
    return cleaned


def _clean_attrs(attrs: dict) -> dict:
    unknown = sorted(set(attrs) - PLAN_ATTRS)
    if unknown:
        raise ValidationFailed({name: "Unknown field." for name in unknown})
    for name, choices in CHOICES.items():
        if name in attrs and attrs[name] not in choices.values:
            raise ValidationFailed({name: f"Must be one of {', '.join(choices.values)}."})
    if "interval_count" in attrs and (not isinstance(attrs["interval_count"], int) or attrs["interval_count"] < 1):
        raise ValidationFailed({"interval_count": "Must be a whole number of at least 1."})
    if "features" in attrs and not isinstance(attrs["features"], list):
        raise ValidationFailed({"features": "Must be a list of strings."})
    return attrs


@transaction.atomic
def product_create(*, code: str, name: str, description: str = "") -> Product:
    if Product.objects.filter(code=code).exists():
        raise ValidationFailed({"code": "A product with this code exists."})
    product = Product.objects.create(code=code, name=name, description=description)
    audit_record(action="product.created", instance=product, after=snapshot(product))
    return product


def _fill_version(version: PlanVersion, prices: dict, charges: list[dict], limits: list[dict]) -> None:
    for currency, price in prices.items():
        PlanPrice.objects.create(version=version, currency=currency, **price)
    for charge in charges:
        PlanCharge.objects.create(version=version, **charge)
    for limit in limits:
        PlanLimit.objects.create(version=version, **limit)


def plan_version_snapshot(version: PlanVersion) -> dict:
    """A version's prices, charges and limits as plain data: audit entries and the catalog loader compare them."""
    return {
        "version": version.version, "included_seats": version.included_seats, "max_seats": version.max_seats,
        "prices": {p.currency: {"flat_amount": p.flat_amount, "seat_amount": p.seat_amount}
                   for p in version.prices.all()},
        "charges": [{"metric": c.metric.code, "currency": c.currency, "model": c.model, "unit_price": c.unit_price,
                     "block_size": c.block_size, "package_size": c.package_size, "free_units": c.free_units,
                     "tiers": c.tiers} for c in version.charges.select_related("metric")],
        "limits": [{"metric": lim.metric.code, "included": lim.included, "cap_mode": lim.cap_mode,
                    "overage_allowed": lim.overage_allowed, "grace_percent": lim.grace_percent,
                    "alert_thresholds": lim.alert_thresholds} for lim in version.limits.select_related("metric")],
    }


def _validate_version(included_seats, max_seats, charges, limits):
    if not isinstance(included_seats, int) or included_seats < UNLIMITED:
        raise ValidationFailed({"included_seats": "Must be a whole number, or -1 for unlimited."})
    if max_seats is not None and (not isinstance(max_seats, int) or max_seats < 1):
        raise ValidationFailed({"max_seats": "Must be a whole number of at least 1."})
    seen = set()
    for c in charges:
        key = (c["metric"].pk, c["currency"])
        if key in seen:
            raise ValidationFailed({"charges": f"Two charges for {c['metric'].code} in {c['currency']}."})
        seen.add(key)
    metrics = [lim["metric"].pk for lim in limits]
    if len(metrics) != len(set(metrics)):
        raise ValidationFailed({"limits": "One limit per metric."})


@transaction.atomic
def plan_create(*, code: str, name: str, prices: dict, included_seats: int = 1, max_seats: int | None = None,
                charges: list[dict] | None = None, limits: list[dict] | None = None, **attrs) -> Plan:
    if not code or Plan.objects.filter(code=code).exists():
        raise ValidationFailed({"code": "Give a code no other plan has."})
    if not (name or "").strip():
        raise ValidationFailed({"name": "This field is required."})
    attrs = _clean_attrs(attrs)
    prices = _clean_prices(prices)
    charges = [_clean_charge(c, i) for i, c in enumerate(charges or [])]
    limits = [_clean_limit(lim, i) for i, lim in enumerate(limits or [])]
    _validate_version(included_seats, max_seats, charges, limits)
    plan = Plan.objects.create(code=code, name=name.strip(), **attrs)
    version = PlanVersion.objects.create(plan=plan, version=1, included_seats=included_seats, max_seats=max_seats)
    _fill_version(version, prices, charges, limits)
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    audit_record(action="plan.created", instance=plan, after=snapshot(plan) | {"pricing": plan_version_snapshot(version)})
    event_record(type="billing.plan.created", account_id=None, payload={"plan": plan.code, "version": 1})
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, **attrs) -> Plan:
    """Change what does not carry a price (name, flags, features, trial, timings)."""
    plan = row_lock(Plan, plan)
    attrs = _clean_attrs(attrs)
    moved = {name: "The plan has live subscribers, whose price is per period: make a new plan and move them."
             for name in ("interval", "interval_count") if name in attrs and attrs[name] != getattr(plan, name)}
    if moved and (Subscription.objects.filter(plan=plan).exclude(status__in=ENDED_STATUSES).exists()
                  or ScheduledChange.objects.filter(plan_version__plan=plan,
                                                    status=ScheduledChangeStatus.PENDING).exists()):
        raise ValidationFailed(moved)
    before = snapshot(plan)
    for name, value in attrs.items():
        setattr(plan, name, value)
    plan.save()
    audit_record(action="plan.updated", instance=plan, before=before, after=snapshot(plan))
    event_record(type="billing.plan.updated", account_id=None, payload={"plan": plan.code})
    return plan


def _has_subscribers(version: PlanVersion) -> bool:
    return (Subscription.objects.filter(plan_version=version).exists()
            or ScheduledChange.objects.filter(plan_version=version, status=ScheduledChangeStatus.PENDING).exists())


@transaction.atomic
def plan_pricing_change(*, plan: Plan, prices: dict | None = None, included_seats: int | None = None,
                        max_seats: int | None = None, charges: list[dict] | None = None,
                        limits: list[dict] | None = None, note: str = "") -> PlanVersion:
    """Change a plan's prices, seats, charges or limits (each given part replaces the old one).

    With subscribers on the current version, a new version is created and becomes
    current: existing subscriptions keep theirs (grandfathered) until finance
    migrates them. Without subscribers the current version is edited in place.
    """
    plan = row_lock(Plan, plan)
    current = plan.current_version
    old = plan_version_snapshot(current)
    prices = _clean_prices(prices) if prices is not None else old["prices"]
    charges = [_clean_charge(c, i) for i, c in enumerate(charges if charges is not None else old["charges"])]
    limits = [_clean_limit(lim, i) for i, lim in enumerate(limits if limits is not None else old["limits"])]
    included_seats = current.included_seats if included_seats is None else included_seats
    max_seats = current.max_seats if max_seats is None else (max_seats or None)
    _validate_version(included_seats, max_seats, charges, limits)
    if _has_subscribers(current):
        version = PlanVersion.objects.create(plan=plan, version=current.version + 1, included_seats=included_seats,
                                             max_seats=max_seats, note=note)
        plan.current_version = version
        plan.save(update_fields=["current_version", "updated_at"])
    else:
        version = current
        version.prices.all().delete()
        version.charges.all().delete()
        version.limits.all().delete()
        version.included_seats, version.max_seats, version.note = included_seats, max_seats, note
        version.save()
    _fill_version(version, prices, charges, limits)
    audit_record(action="plan.pricing_changed", instance=plan, before=old, after=plan_version_snapshot(version))
    event_record(type="billing.plan.updated", account_id=None,
                 payload={"plan": plan.code, "version": version.version, "new_version": version.pk != current.pk})
    return version


@transaction.atomic
def subscription_version_migrate(*, subscription: Subscription, to_version: PlanVersion | None = None,
                                 at_period_end: bool = True) -> Subscription:
    """Move a grandfathered subscription to its plan's current (or a given) version.

    At period end (default) it is a scheduled change; immediately it switches without proration.
    """
    from billing.services.subscriptions import CHANGEABLE, WITH_PLAN, record, terms_bounded
    from billing.transitions import row_lock

    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    to_version = to_version or subscription.plan.current_version
    if to_version.plan_id != subscription.plan_id:
        raise ValidationFailed({"to_version": "Must be a version of the subscription's plan."})
    migrated = copy.copy(subscription)  # the version's prices, the subscription's own overrides kept
    migrated.plan_version = to_version
    terms_bounded(plan_terms_for(migrated), fields=("to_version",),
                  fix="lower the version's prices or the subscription's seats")
    if subscription.status not in CHANGEABLE and subscription.status != "paused":
        from billing.errors import InvalidTransition

        raise InvalidTransition(f"Cannot migrate a subscription that is {subscription.status}.")
    if to_version.pk == subscription.plan_version_id:
        return subscription
    before = snapshot(subscription)
    if at_period_end:
        ScheduledChange.objects.filter(subscription=subscription, status=ScheduledChangeStatus.PENDING).update(
            status=ScheduledChangeStatus.CANCELED)
        ScheduledChange.objects.create(account_id=subscription.account_id, subscription=subscription,
                                       plan_version=to_version, quantity=subscription.quantity,
                                       effective_at=subscription.current_period_end)
        record(subscription, "version_migration_scheduled", before, event="updated")
    else:
        subscription.plan_version = to_version
        subscription.save()
        record(subscription, "version_migrated", before, event="updated")
    return subscription
