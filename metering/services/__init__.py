"""Writes of the metering app (each a `<noun>_<verb>(*, ...)` function)."""

from .ingestion import IngestResult, usage_events_ingest, usage_events_record
from .quotas import QuotaDecision, quota_check, quota_consume
from .rollups import usage_rollups_advance

__all__ = [
    "IngestResult",
    "QuotaDecision",
    "quota_check",
    "quota_consume",
    "usage_events_ingest",
    "usage_events_record",
    "usage_rollups_advance",
]
