"""How far behind the rollup job is: a Prometheus gauge and a health check read it here.

The lag is how long ago (by the database's clock) the newest event folded into rollups was
received. While the job keeps up it stays about the job's interval plus
`METERING_ROLLUP_LAG_SECONDS`; when it grows, reads stay exact (they add every event received
after the cursor) but read more raw events, so they slow down until the job catches up.
"""

from __future__ import annotations

import logging

from django.db import connection
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


def rollup_lag_seconds() -> float | None:
    """Seconds between now and the fold's cursor; None before the job first ran."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM statement_timestamp() - processed_through) "
                       "FROM metering_rollupcursor WHERE name = 'usage'")
        row = cursor.fetchone()
    return None if row is None else float(row[0])


class RollupLagCollector:
    """`metering_rollup_lag_seconds`, read from the database at each scrape (the job runs in the
    workers, the scrape reaches the web processes: only the database knows the lag everywhere)."""

    def describe(self):  # registering must not query the database (the registry asks at import time)
        return [self._family()]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("metering_rollup_lag_seconds",
                                 "Seconds since the newest usage event folded into rollups was received")

    def collect(self):
        gauge = self._family()
        try:
            lag = rollup_lag_seconds()
        except Exception:  # a scrape must not fail because PostgreSQL is down: readiness says so
            logger.warning("metering_rollup_lag_seconds: the cursor could not be read", exc_info=True)
            return
        if lag is not None:
            gauge.add_metric([], lag)
            yield gauge
