"""Usage against limits as the console shows it: one card per metric, with its name and unit, the true
percentage of the limit, a state in words and in colour, overage and its cost, and the groups.

Pure presentation of `CurrentMetricUsage` (metering.selectors): no query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.display import Display

# Green below 75% of the limit, amber from 75% to 90%, red above 90%.
WARN_FROM = Decimal(75)
BAD_ABOVE = Decimal(90)


@dataclass
class UsageCard:
    code: str
    name: str
    unit: str
    usage: str
    limit: str  # "" when unlimited
    percent: Decimal | None
    percent_text: str
    state: str  # ok | warn | bad | unlimited
    state_text: str
    bar: int  # 0-100: the filled share of the bar
    period: str
    overage: str = ""  # units over the limit, "" when none
    overage_cost: str = ""
    projected_usage: str = ""
    projected_cost: str = ""
    groups: list[tuple[str, str]] = field(default_factory=list)


def state_of(percent: Decimal | None) -> str:
    if percent is None:
        return "unlimited"
    if percent > BAD_ABOVE:
        return "bad"
    if percent >= WARN_FROM:
        return "warn"
    return "ok"


def _state_text(state: str, percent: Decimal | None) -> str:
    if state == "unlimited":
        return _("Unlimited")
    if percent is not None and percent > 100:
        return _("Over the limit")
    return {"ok": _("Within the limit"), "warn": _("Nearing the limit"), "bad": _("At the limit")}[state]


def group_label(group_key: str) -> str:
    """`model=small|region=eu` as people read it: `model small, region eu`."""
    return ", ".join(part.replace("=", " ", 1) for part in group_key.split("|")) if group_key else _("(none)")


def usage_card(item, display: Display, *, projected: bool = True) -> UsageCard:
    metric = item.metric
    percent = item.percent_used
    state = state_of(percent)
    currency = item.currency
    card = UsageCard(
        code=metric.code, name=metric.name, unit=metric.unit,
        usage=display.number(item.usage), limit="" if item.limit is None else display.number(item.limit),
        percent=percent, percent_text=display.percent(percent), state=state, state_text=_state_text(state, percent),
        bar=0 if percent is None else int(min(Decimal(100), max(Decimal(0), percent))),
        period=display.period(item.period_start, item.period_end),
    )
    if item.overage > 0:
        card.overage = display.number(item.overage)
    if currency:
        card.overage_cost = display.money(item.overage_cost, currency)
        if projected:
            card.projected_cost = display.money(item.projected_overage_cost, currency)
    if projected and item.projected_usage != item.usage:
        card.projected_usage = display.number(item.projected_usage)
    card.groups = sorted(((group_label(key), display.number(value)) for key, value in item.groups.items() if key),
                         key=lambda pair: pair[0])
    return card
