"""The rollup job's lag: the Prometheus gauge `metering_rollup_lag_seconds` and `/health/rollups`."""

from datetime import timedelta

import pytest
from django.test import override_settings

from metering.models import RollupCursor
from metering.services import usage_rollups_advance

pytestmark = [pytest.mark.django_db]


def lag_in_metrics(client) -> float | None:
    body = client.get("/metrics").content.decode()
    lines = [line for line in body.splitlines() if line.startswith("metering_rollup_lag_seconds ")]
    return float(lines[0].split()[1]) if lines else None


@override_settings(METERING_ROLLUP_LAG_SECONDS=0, METERING_ROLLUP_LAG_ALERT_SECONDS=300)
def test_the_lag_is_a_gauge_and_a_health_signal_that_fails_past_the_limit(client, operator):
    answer = client.get("/health/rollups")
    assert answer.status_code == 503 and answer.json()["lag_seconds"] is None  # the job never ran
    assert lag_in_metrics(client) is None

    usage_rollups_advance()
    answer = client.get("/health/rollups")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "ok" and 0 <= answer.json()["lag_seconds"] < 60
    assert 0 <= lag_in_metrics(client) < 60

    cursor = RollupCursor.objects.get()
    cursor.processed_through -= timedelta(seconds=1000)  # the job stopped 1,000 s ago
    cursor.save()
    answer = client.get("/health/rollups")
    assert answer.status_code == 503
    assert answer.json()["status"] == "lagging" and answer.json()["lag_seconds"] >= 1000
    assert lag_in_metrics(client) >= 1000
