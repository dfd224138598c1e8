"""The dashboard's MRR chart, drawn on the server as SVG: a bar per month, each a link to that month's
figures. No JavaScript and no inline style (the CSP allows neither): geometry goes into SVG attributes,
colours come from static/css/analytics.css. The template gives it a text alternative and a table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 720
HEIGHT = 180
TOP = 18
BOTTOM = 22


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    title: str
    href: str
    label: str  # the month under the bar, for every few bars ("" otherwise)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    peak: str


def _n(value: Decimal | int) -> str:
    return f"{Decimal(value):.2f}".rstrip("0").rstrip(".")


def month_bars(points: list[tuple[str, int, str, str]]) -> Chart | None:
    """`points`: (month label, value, value as text, link) in time order; None when there are none."""
    if not points:
        return None
    peak = max(max(value for _, value, _, _ in points), 0)
    scale = Decimal(HEIGHT - TOP - BOTTOM) / Decimal(peak) if peak > 0 else Decimal(0)
    slot = Decimal(WIDTH) / len(points)
    gap = slot / 5
    baseline = HEIGHT - BOTTOM
    step = max(1, len(points) // 6)
    bars = []
    for i, (label, value, text, href) in enumerate(points):
        height = max(Decimal(0), Decimal(value) * scale)
        if value > 0 and height < 1:
            height = Decimal(1)
        bars.append(Bar(x=_n(slot * i + gap / 2), y=_n(baseline - height), width=_n(slot - gap), height=_n(height),
                        title=f"{label}: {text}", href=href,
                        label=label if (len(points) - 1 - i) % step == 0 else ""))
    peak_text = next(text for _, value, text, _ in points if value == peak)
    return Chart(WIDTH, HEIGHT, baseline, bars, peak_text)
