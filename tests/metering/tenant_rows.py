"""Rows of every metering tenant table for one account (used by the RLS isolation test)."""

from decimal import Decimal

from billing import clock
from billing.models import BillableMetric
from metering.ingest.decode import EventIn
from metering.models import (
    RollupGranularity,
    UsageAlert,
    UsageDistinctValue,
    UsageRollup,
)
from metering.services import usage_events_record


def build(account):
    metric, _ = BillableMetric.objects.get_or_create(code="tenant_rows_calls", defaults={"name": "Calls"})
    now = clock.now()
    usage_events_record(events=[EventIn(metric=metric.code, idempotency_key=f"rows-{account.pk}",
                                        account_id=account.pk)])
    summed, _ = BillableMetric.objects.get_or_create(code="tenant_rows_tokens",
                                                     defaults={"name": "Tokens", "aggregation": "sum"})
    usage_events_record(events=[EventIn(metric=summed.code, idempotency_key=f"rows-fix-{account.pk}",
                                        account_id=account.pk, value=Decimal(-1))])  # a correction (operator scope)
    UsageRollup.objects.create(account=account, metric=metric, granularity=RollupGranularity.HOUR,
                               bucket_start=now.replace(minute=0, second=0, microsecond=0), events=1,
                               value_sum=Decimal(1))
    UsageDistinctValue.objects.create(account=account, metric=metric, bucket_start=now.replace(hour=0, minute=0,
                                      second=0, microsecond=0), value="user-1", value_digest=b"0" * 32,
                                      first_at=now, last_at=now)
    UsageAlert.objects.create(account=account, metric=metric, period_start=now, period_end=now,
                              threshold_percent=80, usage=Decimal(8), limit=10, fired_at=now)
