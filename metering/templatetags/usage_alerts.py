"""`{% usage_alert_banner usage alerted %}`: the console banner of usage thresholds reached this period,
each with the true share of the limit used now (110%, not the 100% threshold it passed)."""

from types import SimpleNamespace

from django import template

register = template.Library()


@register.inclusion_tag("metering/alert_banner.html")
def usage_alert_banner(usage, alerted):
    """`usage`: metering.selectors.CurrentUsage; `alerted`: the codes of metrics with an open alert
    (`alerts_open`), so a dismissed alert stays dismissed."""
    alerts = [SimpleNamespace(metric=item.metric, percent=item.percent_used, limit=item.limit,
                              period_end=item.period_end)
              for item in usage.metrics if item.metric.code in alerted and item.limit is not None]
    return {"alerts": alerts}
