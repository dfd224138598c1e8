"""Jobs that missed their schedule: the same rule as the BillingBeatJobMissedSchedule alert
(deploy/prometheus/alerts.yml): no success for twice the job's longest interval and five minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import redis

from billing.jobs import beat_intervals
from billing.metric_store import client
from billing.metrics import BEAT_LAST_SUCCESS

SLACK_SECONDS = 300


def jobs_missed(now: datetime | None = None) -> tuple[list[tuple[str, datetime | None]], bool]:
    """(task, last success or None) for each late job, and whether the last successes could be read."""
    now_seconds = (now or datetime.now(UTC)).timestamp()
    try:
        stored = client().hgetall(BEAT_LAST_SUCCESS.key)
    except redis.RedisError:
        return [], False
    last = {}
    for label, value in stored.items():
        try:
            last[json.loads(label)[0]] = float(value)
        except (ValueError, IndexError, TypeError):
            continue
    late = []
    for task, interval in sorted(beat_intervals().items()):
        seen = last.get(task)
        if seen is None or now_seconds - seen > 2 * interval + SLACK_SECONDS:
            late.append((task, datetime.fromtimestamp(seen, UTC) if seen else None))
    return late, True
