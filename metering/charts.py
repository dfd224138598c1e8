"""A daily usage chart drawn on the server as SVG: bars, a baseline, the highest value and a few dates.

No JavaScript and no inline style (the CSP allows neither): geometry goes into SVG attributes, colours
come from console.css. The template gives the chart a text alternative and a table of the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.display import Display

WIDTH = 600
HEIGHT = 160
TOP = 16  # room for the highest value's label
BOTTOM = 20  # room for the dates
LEFT = 4


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    title: str  # "12 May: 1,200 tokens", shown on hover and read by screen readers


@dataclass(frozen=True)
class Label:
    x: str
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    dates: list[Label]
    peak: str  # the highest day's value, as text
    total_days: int


def _n(value: Decimal | float) -> str:
    return f"{Decimal(value):.2f}".rstrip("0").rstrip(".")


def daily_chart(days, display: Display, unit: str) -> Chart | None:
    """`days`: `metering.selectors.console.Day` rows in time order; None when there are none."""
    if not days:
        return None
    peak = max((day.value for day in days), default=Decimal(0))
    scale = Decimal(HEIGHT - TOP - BOTTOM) / peak if peak > 0 else Decimal(0)
    slot = Decimal(WIDTH - LEFT) / len(days)
    gap = slot / 5 if slot > 4 else Decimal(0)
    baseline = HEIGHT - BOTTOM
    bars = []
    for i, day in enumerate(days):
        height = max(Decimal(0), day.value) * scale
        if day.value > 0 and height < 1:
            height = Decimal(1)  # a day with any usage shows
        bars.append(Bar(x=_n(LEFT + slot * i + gap / 2), y=_n(baseline - height), width=_n(slot - gap),
                        height=_n(height), title=f"{display.short_day(day.start)}: {display.number(day.value)} {unit}"))
    step = max(1, len(days) // 4)
    dates = [Label(x=_n(LEFT + slot * i + gap / 2), text=display.short_day(days[i].start))  # from the bar's left
             for i in range(0, len(days), step) if len(days) - i > step / 2 or i == 0]
    return Chart(WIDTH, HEIGHT, baseline, bars, dates, display.number(peak), len(days))
