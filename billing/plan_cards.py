"""The plan comparison and a plan change's preview, in words and money formatted for the reader (`Display`):
what the console's plan page shows of each plan version and of `subscription_change_preview`'s answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.display import Display
from billing.models import UNLIMITED, CapMode, Interval, Plan, PlanVersion, ProrationBehavior

INTERVAL_WORDS = {  # (every one, every n)
    Interval.DAY: (lambda: _("per day"), lambda n: ngettext("every %(n)s day", "every %(n)s days", n)),
    Interval.WEEK: (lambda: _("per week"), lambda n: ngettext("every %(n)s week", "every %(n)s weeks", n)),
    Interval.MONTH: (lambda: _("per month"), lambda n: ngettext("every %(n)s month", "every %(n)s months", n)),
    Interval.YEAR: (lambda: _("per year"), lambda n: ngettext("every %(n)s year", "every %(n)s years", n)),
}


def interval_words(plan: Plan) -> str:
    one, many = INTERVAL_WORDS[plan.interval]
    return one() if plan.interval_count == 1 else many(plan.interval_count) % {"n": plan.interval_count}


@dataclass
class MetricTerms:
    name: str
    included: str  # "1,000,000 tokens included", "Unlimited"
    beyond: str  # "then $0.02 per 1,000 tokens", "hard limit", ""


@dataclass
class PlanCard:
    plan: Plan
    version: PlanVersion
    current: bool
    available: bool  # priced in the account's currency
    price: str = ""
    interval: str = ""
    seats: list[str] = field(default_factory=list)
    metrics: list[MetricTerms] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    sells_seats: bool = False


def _charge_words(charge, d: Display) -> str:
    unit = charge.metric.unit
    if charge.tiers:
        first = Decimal(str(charge.tiers[0].get("unit_price") or 0))
        return _("then tiered, from %(price)s") % {
            "price": d.price_per(first, charge.currency, block=charge.block_size, unit=unit)}
    if charge.model == "package":
        return _("then %(price)s") % {"price": d.price_per(charge.unit_price, charge.currency,
                                                           block=charge.package_size, unit=unit)}
    return _("then %(price)s") % {"price": d.price_per(charge.unit_price, charge.currency, block=charge.block_size,
                                                       unit=unit)}


def _metric_terms(version: PlanVersion, currency: str, d: Display) -> list[MetricTerms]:
    limits = {limit.metric_id: limit for limit in version.limits.all()}
    charges = {charge.metric_id: charge for charge in version.charges.all() if charge.currency == currency}
    metrics = {row.metric_id: row.metric for row in [*limits.values(), *charges.values()]}
    terms = []
    for metric_id, metric in sorted(metrics.items(), key=lambda item: item[1].name.casefold()):
        limit, charge = limits.get(metric_id), charges.get(metric_id)
        included_units = limit.included if limit else (charge.free_units if charge else 0)
        if limit and limit.included == UNLIMITED:
            included = _("Unlimited")
        elif included_units:
            included = _("%(units)s %(unit)s included") % {"units": d.number(included_units), "unit": metric.unit}
        else:
            included = _("None included")
        if limit and limit.included != UNLIMITED and limit.cap_mode == CapMode.HARD:
            beyond = _("hard limit: refused beyond it")
        elif charge is not None and (charge.unit_price or charge.tiers):
            beyond = _charge_words(charge, d)
        elif limit and limit.included != UNLIMITED and not limit.overage_allowed:
            beyond = _("upgrade to use more")
        else:
            beyond = ""
        terms.append(MetricTerms(metric.name, included, beyond))
    return terms


def plan_card(plan: Plan, version: PlanVersion, *, currency: str, current: bool, d: Display) -> PlanCard:
    price = next((p for p in version.prices.all() if p.currency == currency), None)
    card = PlanCard(plan=plan, version=version, current=current, available=price is not None,
                    interval=interval_words(plan), features=[str(f) for f in plan.features or []])
    if price is None:
        return card
    card.price = d.money(price.flat_amount, currency)
    if version.included_seats == UNLIMITED:
        card.seats.append(_("Unlimited seats"))
    else:
        card.seats.append(ngettext("%(n)s seat included", "%(n)s seats included", version.included_seats)
                          % {"n": d.number(version.included_seats)})
    if price.seat_amount is not None and version.included_seats != UNLIMITED:
        card.sells_seats = True
        card.seats.append(_("%(price)s per extra seat") % {"price": d.money(price.seat_amount, currency)})
    if version.max_seats is not None:
        card.seats.append(_("up to %(n)s seats") % {"n": d.number(version.max_seats)})
    card.metrics = _metric_terms(version, currency, d)
    return card


@dataclass
class PreviewLine:
    description: str
    period: str
    amount: str


@dataclass
class PreviewView:
    immediate: bool
    effective: str
    lines: list[PreviewLine]
    charged_now: str  # invoiced at once
    next_invoice: str  # prorations added to the next invoice ("" when they are invoiced now)
    renewal_on: str
    renewal_amount: str
    has_prorations: bool


def preview_view(change, d: Display) -> PreviewView:
    currency = change.currency
    immediate = change.timing == "immediate"
    lines = [PreviewLine(line.description, d.period(line.period_start, line.period_end),
                         d.money(line.amount, currency)) for line in change.proration]
    invoiced_now = change.proration_behavior == ProrationBehavior.ALWAYS_INVOICE
    return PreviewView(
        immediate=immediate, effective=d.day(change.effective_at), lines=lines,
        charged_now=d.money(change.amount_due_now, currency),
        next_invoice="" if invoiced_now else d.money(change.proration_total, currency),
        renewal_on=d.day(change.next_renewal_at), renewal_amount=d.money(change.next_renewal_amount, currency),
        has_prorations=bool(lines))
