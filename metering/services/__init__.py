"""Writes of the metering app (each a `<noun>_<verb>(*, ...)` function)."""

from .imports import ImportReport, usage_file_import
from .ingestion import IngestResult, usage_batch_store, usage_events_ingest, usage_events_record
from .metrics import billable_metric_archive, billable_metric_create, billable_metric_update
from .quotas import QuotaDecision, quota_check, quota_consume
from .rollups import usage_rollups_advance

__all__ = [
    "billable_metric_archive",
    "billable_metric_create",
    "billable_metric_update",
    "ImportReport",
    "IngestResult",
    "QuotaDecision",
    "quota_check",
    "quota_consume",
    "usage_batch_store",
    "usage_events_ingest",
    "usage_events_record",
    "usage_file_import",
    "usage_rollups_advance",
]
