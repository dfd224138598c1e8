"""The ingestion hot path: decode (msgspec), validate per event, write (COPY + dedupe)."""
