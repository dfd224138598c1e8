"""Reads of the metering app. Other apps import from here.

- invoicing: `billable_usage` (docs/metering.md, "For invoicing")
- API and console: `current_usage`, `usage_series`, `usage_history`, `alerts_open`; usage so far from
  rollups plus the raw tail: `usage_groups` (one metric), `usage_so_far` (billable_usage's shape)
- the metric catalog (API, admin, services): `metrics_all`, `metric_plan_codes`, `metric_has_usage`,
  `metric_archive_blockers`
"""

from metering.selectors.current import (
    CurrentMetricUsage,
    CurrentUsage,
    current_usage,
    usage_history,
)
from metering.selectors.invoicing import (
    billable_usage,
    metrics_named,
    stored_event_count,
)
from metering.selectors.live import usage_groups, usage_so_far
from metering.selectors.metrics import (
    metric_archive_blockers,
    metric_has_usage,
    metric_plan_codes,
    metrics_all,
)
from metering.selectors.series import Bucket, alerts_open, usage_series

__all__ = [
    "Bucket",
    "CurrentMetricUsage",
    "CurrentUsage",
    "alerts_open",
    "billable_usage",
    "current_usage",
    "metric_archive_blockers",
    "metric_has_usage",
    "metric_plan_codes",
    "metrics_all",
    "metrics_named",
    "stored_event_count",
    "usage_groups",
    "usage_history",
    "usage_series",
    "usage_so_far",
]
