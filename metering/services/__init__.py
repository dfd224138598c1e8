"""Writes of the metering app (each a `<noun>_<verb>(*, ...)` function)."""

from .ingestion import IngestResult, usage_events_ingest, usage_events_record

__all__ = ["IngestResult", "usage_events_ingest", "usage_events_record"]
