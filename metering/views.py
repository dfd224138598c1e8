"""Console page of metering: usage of the current or a past period against the plan's limits."""

from __future__ import annotations

from django.shortcuts import render

from billing.display import Display
from billing.views import console_required
from metering.charts import daily_chart
from metering.selectors import current_usage
from metering.selectors.console import usage_by_day, usage_of_period, usage_periods
from metering.usage_cards import usage_card

PAST_PERIODS = 6


@console_required
def usage(request):
    account_id = request.active_membership.account_id
    display = Display.for_request(request)
    periods = usage_periods(account_id=account_id, periods=PAST_PERIODS)
    chosen = next((p for p in periods if p.key == request.GET.get("period")), periods[0])
    is_current = chosen is periods[0]
    items = current_usage(account_id=account_id).metrics if is_current else usage_of_period(
        account_id=account_id, start=chosen.start, end=chosen.end)
    metrics = []
    for item in items:
        days = usage_by_day(account_id=account_id, metric=item.metric, start=item.period_start, end=item.period_end)
        metrics.append({"card": usage_card(item, display, projected=is_current),
                        "chart": daily_chart(days, display, item.metric.unit),
                        "days": [(display.day(day.start), display.number(day.value)) for day in days if day.value]})
    return render(request, "metering/console/usage.html", {
        "metrics": metrics, "is_current": is_current, "chosen": chosen,
        "period_text": display.period(chosen.start, chosen.end),
        "periods": [(p.key, display.period(p.start, p.end), p is periods[0]) for p in periods],
    })
