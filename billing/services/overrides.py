"""Subscription overrides: an enterprise deal's own flat price, seat price, seats, charges or limits.

The plan's version gives every price; an override replaces one for one subscription (the plan terms,
`billing/selectors/terms.py`, read both). Moving to another plan drops them (`plan_version_apply`).
"""

from __future__ import annotations

from django.db import transaction

from billing.audit import audit_record, snapshot
from billing.errors import ValidationFailed
from billing.models import (
    UNLIMITED,
    CapMode,
    ChargeModel,
    PlanCharge,
    Subscription,
    SubscriptionMetricOverride,
)
from billing.outbox import event_record
from billing.selectors.terms import plan_terms_for
from billing.services.catalog import catalog_metric, clean_amount, clean_price, clean_tiers
from billing.services.subscriptions import WITH_PLAN, terms_bounded
from billing.transitions import row_lock


@transaction.atomic
def subscription_overrides_set(*, subscription: Subscription, flat_amount: int | None = None,
                               seat_amount: int | None = None, included_seats: int | None = None,
                               metrics: list[dict] | None = None, clear: bool = False) -> Subscription:
    """An enterprise deal: the subscription's own flat price, seat price, seats, charges or limits.

    `metrics`: [{"metric": code, "unit_price", "tiers", "free_units", "charge_model", "block_size",
    "package_size", "included", "cap_mode", "overage_allowed"}] (omitted keys keep the plan's).
    `clear=True` removes every override first.
    """
    subscription = row_lock(Subscription, subscription, related=WITH_PLAN)
    before = snapshot(subscription) | {"metric_overrides": _overrides_snapshot(subscription)}
    if clear:
        subscription.flat_amount_override = subscription.seat_amount_override = None
        subscription.included_seats_override = None
        SubscriptionMetricOverride.objects.filter(subscription=subscription).delete()
    for name, value in (("flat_amount", flat_amount), ("seat_amount", seat_amount)):
        if value is not None:
            setattr(subscription, f"{name}_override", clean_amount(value, name, subscription.currency))
    if included_seats is not None:
        if not isinstance(included_seats, int) or included_seats < UNLIMITED:
            raise ValidationFailed({"included_seats": "Must be a whole number, or -1 for unlimited."})
        subscription.included_seats_override = included_seats
    subscription.save()
    for i, raw in enumerate(metrics or []):
        field = f"metrics[{i}]"
        metric = catalog_metric(raw.get("metric"), f"{field}.metric")
        values = {}
        if raw.get("charge_model") is not None:
            if raw["charge_model"] not in ChargeModel.values:
                raise ValidationFailed({f"{field}.charge_model": f"Must be one of {', '.join(ChargeModel.values)}."})
            values["charge_model"] = raw["charge_model"]
        if raw.get("unit_price") is not None:
            values["unit_price"] = clean_price(raw["unit_price"], f"{field}.unit_price")
        if raw.get("tiers") is not None:
            values["tiers"] = clean_tiers(raw["tiers"], f"{field}.tiers", subscription.currency)
        for name in ("block_size", "package_size", "free_units", "included"):
            if raw.get(name) is not None:
                least = {"included": UNLIMITED, "free_units": 0}.get(name, 1)  # a price per block of 0 divides by 0
                if not isinstance(raw[name], int) or raw[name] < least:
                    raise ValidationFailed({f"{field}.{name}": f"Must be a whole number of at least {least}."})
                values[name] = raw[name]
        if raw.get("cap_mode") is not None:
            if raw["cap_mode"] not in CapMode.values:
                raise ValidationFailed({f"{field}.cap_mode": "Must be soft or hard."})
            values["cap_mode"] = raw["cap_mode"]
        if raw.get("overage_allowed") is not None:
            values["overage_allowed"] = bool(raw["overage_allowed"])
        override, _ = SubscriptionMetricOverride.objects.update_or_create(
            subscription=subscription, metric=metric, defaults={"account_id": subscription.account_id, **values})
        _override_tiers_checked(subscription, override, field)
    given = tuple(name for name, value in (("flat_amount", flat_amount), ("seat_amount", seat_amount),
                                           ("included_seats", included_seats)) if value is not None)
    if given or clear:  # the fees per period changed
        terms_bounded(plan_terms_for(subscription), fields=given or ("clear",),
                      fix="lower the flat or seat amount, or include more seats")
    after_extra = {"metric_overrides": _overrides_snapshot(subscription)}
    audit_record(action="subscription.overrides_set", instance=subscription, before=before,
                 after=snapshot(subscription) | after_extra)
    event_record(type="billing.subscription.updated", account_id=subscription.account_id,
                 payload={"subscription_id": subscription.pk, "action": "overrides_set"})
    return subscription


def _override_tiers_checked(subscription: Subscription, override: SubscriptionMetricOverride, field: str) -> None:
    """The charge the override leaves (its own model and tiers, else the plan's) is one pricing can use:
    graduated and volume need tiers ending open-ended, as a plan's charge does (catalog's `_clean_charge`)."""
    charge = PlanCharge.objects.filter(version_id=subscription.plan_version_id, currency=subscription.currency,
                                       metric_id=override.metric_id).first()
    model = override.charge_model or (charge.model if charge else ChargeModel.STANDARD)
    tiers = override.tiers if override.tiers is not None else (charge.tiers if charge else None)
    if model in (ChargeModel.GRADUATED, ChargeModel.VOLUME) and (not tiers or tiers[-1].get("up_to") is not None):
        raise ValidationFailed({f"{field}.tiers": "Give tiers ending with an open-ended one (up_to null): "
                                                  f"the {model} model prices by tier."})


def _overrides_snapshot(subscription: Subscription) -> list[dict]:
    return [snapshot(o) for o in SubscriptionMetricOverride.objects.filter(subscription=subscription)]
