"""Metering models: rollups, usage alerts and corrections (the metrics they count are billing's catalog).

Raw usage events and their idempotency keys live in tables made with raw SQL
(partitioned by time, see `metering/storage.py` and migration 0002); they have
no Django model because nothing reads them through the ORM.
"""

from .alerts import UsageAlert
from .corrections import UsageCorrection
from .rollups import (
    RollupCursor,
    RollupDefinition,
    RollupGranularity,
    UsageDistinctValue,
    UsageRollup,
)

__all__ = [
    "RollupCursor",
    "RollupDefinition",
    "RollupGranularity",
    "UsageAlert",
    "UsageCorrection",
    "UsageDistinctValue",
    "UsageRollup",
]
