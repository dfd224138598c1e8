"""Loading a catalog file (YAML or JSON): metrics, products and plans, with prices in major units.

The format is documented in docs/catalog.md; examples are in examples/catalogs/.
Loading is idempotent: an existing plan gets its attributes updated and, when its
pricing differs, a pricing change (a new version if it has subscribers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from billing.errors import ValidationFailed
from billing.models import UNLIMITED, BillableMetric, Plan, Product
from billing.services.catalog import (
    plan_create,
    plan_pricing_change,
    plan_update,
    plan_version_snapshot,
    product_create,
)
from billing.units import unit_code_for, unit_code_problem
from pricing import money

PLAN_KEYS = {"code", "name", "description", "product", "interval", "interval_count", "trial_days",
             "trial_end_behavior", "public", "active", "sort_order", "features", "upgrade_timing",
             "downgrade_timing", "proration_behavior", "price", "seats", "metrics", "charges"}


@dataclass
class LoadReport:
    metrics_created: list[str] = field(default_factory=list)
    products_created: list[str] = field(default_factory=list)
    plans_created: list[str] = field(default_factory=list)
    plans_updated: list[str] = field(default_factory=list)
    plans_unchanged: list[str] = field(default_factory=list)


def read_catalog_file(path: str | Path) -> dict:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed({"catalog": f"{path.name} does not parse: {exc}"}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({"catalog": "The file must hold a mapping with metrics, products and plans."})
    return data


def catalog_amount(amount, currency: str, where: str) -> int:
    """A catalog amount (major units) as minor units, refused when the currency has fewer decimals
    or when it passes what a person may type (`pricing.money.MAX_AMOUNT`)."""
    if isinstance(amount, float):  # YAML reads 9.99 as a float: its text is what the author wrote
        amount = repr(amount)
    try:
        return money.amount_checked(money.to_minor(amount, currency), currency)
    except money.TooLarge as exc:
        raise ValidationFailed({where: str(exc)}) from None
    except money.TooManyDecimals:
        raise ValidationFailed({where: f"More decimal places than {currency} has."}) from None
    except money.NotAnAmount:
        raise ValidationFailed({where: "Must be an amount such as 99.00."}) from None
    except money.UnknownCurrency:
        raise ValidationFailed({where: f"{currency} is not an ISO 4217 currency code."}) from None


def _per_currency(value, default_currency: str) -> dict[str, object]:
    """`"9.99"` means the catalog's currency; `{USD: "9.99", EUR: "8.99"}` gives each."""
    if isinstance(value, dict):
        return {str(k).upper(): v for k, v in value.items()}
    return {default_currency: value}


def _included(value, where: str) -> int:
    if value in ("unlimited", None):
        return UNLIMITED
    if not isinstance(value, int) or value < 0:
        raise ValidationFailed({where: 'A whole number or "unlimited".'})
    return value


def _charges_from(spec: dict, metric: str, free_units: int, currency: str, where: str) -> list[dict]:
    unit_prices = _per_currency(spec.get("unit_price", "0"), currency)
    currencies = list(unit_prices)
    for tier in spec.get("tiers") or []:
        if isinstance(tier.get("unit_price"), dict):
            currencies = sorted(set(currencies) | {c.upper() for c in tier["unit_price"]})
    charges = []
    for code in currencies:
        tiers = []
        for tier in spec.get("tiers") or []:
            prices = _per_currency(tier.get("unit_price", "0"), currency)
            fees = _per_currency(tier.get("flat_fee", 0), currency)
            tiers.append({"up_to": tier.get("up_to"), "unit_price": str(prices.get(code, "0")),
                          "flat_fee": catalog_amount(fees.get(code, 0), code, f"{where}.tiers.flat_fee")})
        charges.append({"metric": metric, "currency": code, "model": spec.get("model", "standard"),
                        "unit_price": str(unit_prices.get(code, "0")), "block_size": spec.get("block_size", 1),
                        "package_size": spec.get("package_size", 1),
                        "free_units": spec.get("free_units", free_units), "tiers": tiers})
    return charges


def plan_spec_to_pricing(spec: dict, currency: str) -> dict:
    where = f"plans.{spec.get('code')}"
    unknown = sorted(set(spec) - PLAN_KEYS)
    if unknown:
        raise ValidationFailed({f"{where}.{k}": "Unknown key." for k in unknown})
    seats = spec.get("seats") or {}
    seat_prices = _per_currency(seats["price"], currency) if seats.get("price") is not None else {}
    prices = {}
    for code, amount in _per_currency(spec.get("price", "0"), currency).items():
        seat = seat_prices.get(code)
        prices[code] = {"flat_amount": catalog_amount(amount, code, f"{where}.price.{code}"),
                        "seat_amount": None if seat is None else catalog_amount(seat, code, f"{where}.seats.price")}
    limits, charges = [], []
    for i, entry in enumerate(spec.get("metrics") or []):
        at = f"{where}.metrics[{i}]"
        if not entry.get("metric"):
            raise ValidationFailed({f"{at}.metric": "This field is required."})
        included = _included(entry.get("included"), f"{at}.included")
        overage = entry.get("overage", False)
        limits.append({"metric": entry["metric"], "included": included, "cap_mode": entry.get("cap", "soft"),
                       "overage_allowed": bool(overage), "grace_percent": entry.get("grace_percent", 0),
                       "alert_thresholds": entry.get("alert_thresholds") or [80, 100, 120]})
        if isinstance(overage, dict):
            charges += _charges_from(overage, entry["metric"], max(included, 0), currency, f"{at}.overage")
    for i, entry in enumerate(spec.get("charges") or []):
        charges += _charges_from(entry, entry["metric"], entry.get("free_units", 0), currency, f"{where}.charges[{i}]")
    return {"prices": prices, "included_seats": _included(seats.get("included", 1), f"{where}.seats.included"),
            "max_seats": seats.get("max"), "charges": charges, "limits": limits}


def _plan_attrs(spec: dict, products: dict) -> dict:
    attrs = {"description": spec.get("description", ""), "interval": spec.get("interval", "month"),
             "interval_count": spec.get("interval_count", 1), "trial_days": spec.get("trial_days", 0),
             "is_public": spec.get("public", True), "is_active": spec.get("active", True),
             "sort_order": spec.get("sort_order", 0), "features": spec.get("features", [])}
    for key in ("trial_end_behavior", "upgrade_timing", "downgrade_timing", "proration_behavior"):
        if key in spec:
            attrs[key] = spec[key]
    if spec.get("product"):
        if spec["product"] not in products:
            raise ValidationFailed({f"plans.{spec['code']}.product": "Not among the file's products."})
        attrs["product"] = products[spec["product"]]
    return attrs


def _comparable(snapshot: dict) -> dict:
    """A version snapshot in a form two loads of the same file compare equal in."""
    def norm_charge(c):
        return {**c, "unit_price": str(Decimal(str(c["unit_price"])).normalize()),
                "tiers": [{**t, "unit_price": str(Decimal(str(t["unit_price"])).normalize())} for t in c["tiers"]]}
    return {"prices": snapshot["prices"], "included_seats": snapshot["included_seats"],
            "max_seats": snapshot["max_seats"],
            "charges": sorted((norm_charge(c) for c in snapshot["charges"]), key=lambda c: (c["metric"], c["currency"])),
            "limits": sorted(({**lim, "alert_thresholds": sorted(lim["alert_thresholds"])} for lim in snapshot["limits"]),
                             key=lambda lim: lim["metric"])}


@transaction.atomic
def catalog_load(*, data: dict) -> LoadReport:
    report = LoadReport()
    currency = str(data.get("currency", "USD")).upper()
    for i, spec in enumerate(data.get("metrics") or []):
        if not spec.get("code"):
            raise ValidationFailed({f"metrics[{i}].code": "This field is required."})
        defaults = {k: spec[k] for k in ("name", "description", "unit", "aggregation", "field_name", "filters",
                                         "group_by") if k in spec}
        defaults.setdefault("name", spec["code"])
        if spec.get("unit_code") and unit_code_problem(spec["unit_code"]):
            raise ValidationFailed({f"metrics[{i}].unit_code": unit_code_problem(spec["unit_code"])})
        defaults["unit_code"] = spec.get("unit_code") or unit_code_for(str(defaults.get("unit") or ""))
        _, created = BillableMetric.objects.get_or_create(code=spec["code"], defaults=defaults)
        if created:
            report.metrics_created.append(spec["code"])
    products = {}
    for spec in data.get("products") or []:
        product = Product.objects.filter(code=spec["code"]).first()
        if product is None:
            product = product_create(code=spec["code"], name=spec.get("name", spec["code"]),
                                     description=spec.get("description", ""))
            report.products_created.append(product.code)
        products[product.code] = product
    for spec in data.get("plans") or []:
        if not spec.get("code"):
            raise ValidationFailed({"plans": "Every plan needs a code."})
        pricing = plan_spec_to_pricing(spec, currency)
        attrs = _plan_attrs(spec, products)
        try:
            _plan_load(spec, pricing, attrs, report)
        except ValidationFailed as exc:  # the services name a plan's own fields: say which plan
            prefix = f"plans.{spec['code']}."
            raise ValidationFailed({k if k.startswith(prefix) else prefix + k: v
                                    for k, v in exc.fields.items()}) from None
    return report


def _plan_load(spec: dict, pricing: dict, attrs: dict, report: LoadReport) -> None:
    plan = Plan.objects.filter(code=spec["code"]).first()
    if plan is None:
        plan_create(code=spec["code"], name=spec.get("name", spec["code"]), **pricing, **attrs)
        report.plans_created.append(spec["code"])
        return
    plan_update(plan=plan, name=spec.get("name", plan.name), **attrs)
    wanted = _comparable({**pricing, "charges": [{**c, "metric": c["metric"]} for c in pricing["charges"]]})
    if wanted == _comparable(plan_version_snapshot(plan.current_version)):
        report.plans_unchanged.append(plan.code)
    else:
        plan_pricing_change(plan=plan, note="catalog file", **pricing)
        report.plans_updated.append(plan.code)
