"""`{% usage_alert_banner %}`: the console banner of usage thresholds reached this period."""

from django import template

from metering.selectors import alerts_open

register = template.Library()


@register.inclusion_tag("metering/alert_banner.html", takes_context=True)
def usage_alert_banner(context):
    account = context.get("active_account")
    alerts = alerts_open(account_id=account.pk) if account is not None else []
    # One line per metric: its highest threshold reached.
    highest = {}
    for alert in alerts:
        if alert.metric_id not in highest or alert.threshold_percent > highest[alert.metric_id].threshold_percent:
            highest[alert.metric_id] = alert
    return {"alerts": sorted(highest.values(), key=lambda a: a.metric.code)}
