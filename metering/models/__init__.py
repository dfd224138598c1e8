"""Metering models: the metric catalog, rollups, usage alerts and corrections.

Raw usage events and their idempotency keys live in tables made with raw SQL
(partitioned by time, see `metering/storage.py` and migration 0002); they have
no Django model because nothing reads them through the ORM.
"""

from .alerts import UsageAlert
from .corrections import UsageCorrection
from .metrics import Aggregation, BillableMetric
from .rollups import (
    RollupCursor,
    RollupDefinition,
    RollupGranularity,
    UsageDistinctValue,
    UsageRollup,
)

__all__ = [
    "Aggregation",
    "BillableMetric",
    "RollupCursor",
    "RollupDefinition",
    "RollupGranularity",
    "UsageAlert",
    "UsageCorrection",
    "UsageDistinctValue",
    "UsageRollup",
]
