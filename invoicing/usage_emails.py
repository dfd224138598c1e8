"""The usage-threshold email (`billing.usage.threshold_reached`), sent through `email_send` like every billing
email: to the billing contacts, in the customer's language, once per event and alert.

It tells the truth: the metric's name (not its code), the share of the limit used when the alert fired (110%
when usage jumped past the 100% threshold), the figures and the period formatted for the reader. Usage that
jumps past several thresholds at once fires one alert each; only the highest is emailed, the lower ones are
marked emailed without a message of their own (one email saying 110%, not three)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from billing import clock
from billing.display import Display
from billing.models import Account, CapMode, OutboxEvent
from billing.outbox import handler
from billing.transitions import row_lock
from invoicing.customers import customer_details
from invoicing.documents import formatting as fmt
from invoicing.emails import email_send
from invoicing.models import EmailType
from metering.models import UsageAlert
from metering.services.alerts import EVENT_TYPE


def usage_percent(usage: Decimal, limit: int) -> Decimal:
    """The share of the limit used, 0-100+, to a tenth (as the console's usage cards show it)."""
    if limit <= 0:
        return Decimal(100) if usage > 0 else Decimal(0)
    return (Decimal(usage) * 100 / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@handler(EVENT_TYPE)
def email_usage_threshold(event: OutboxEvent) -> None:
    with transaction.atomic():
        alert = row_lock(UsageAlert, event.payload.get("alert_id"), related=("metric",), required=False)
        if alert is None or alert.emailed_at is not None:
            return
        passed_further = UsageAlert.objects.filter(
            account_id=alert.account_id, metric_id=alert.metric_id, period_start=alert.period_start,
            threshold_percent__gt=alert.threshold_percent).exists()
        if not passed_further:
            language = customer_details(Account.objects.get(pk=alert.account_id)).language
            show = Display(language)
            metric = alert.metric
            email_send(event=event, email_type=EmailType.USAGE_THRESHOLD_REACHED, context={
                "metric": metric.name or metric.code, "unit": metric.unit,
                "percent": show.percent(usage_percent(alert.usage, alert.limit)),
                "threshold": show.percent(Decimal(alert.threshold_percent)),
                "usage": show.number(alert.usage), "limit": show.number(alert.limit),
                "period": fmt.period(alert.period_start, alert.period_end, language),
                "hard_cap": event.payload.get("cap_mode") == CapMode.HARD,
            })
        alert.emailed_at = clock.now()
        alert.save(update_fields=["emailed_at"])
