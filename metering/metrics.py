"""Metering's metrics: usage events ingested, and usage spikes on one account.

Ingestion is the hot path (about 100,000 events a second per machine, docs/performance.md), so it is
counted once per batch, in the process (billing/metric_store.py writes the sums to Redis once a
second): three counter additions and one tally of the batch's account.

A spike is found without touching PostgreSQL: each batch adds its accepted events to its account's
tally for the current hour (a Redis hash per hour), and the beat job compares each account's last
complete hour with its average hour over the 24 before it.
"""

from __future__ import annotations

import time
from collections import Counter as Tally

from billing.metric_store import Counter, Gauge, client, refresher, store_key, tally

INGESTED = Counter("billing_usage_events_ingested_total",
                   "Usage events received, by result: accepted (stored), duplicate, rejected", ["result"])
SPIKE_EVENTS = Gauge("billing_usage_account_events_last_hour",
                     "Usage events accepted in the last complete hour, for the accounts with the highest spike ratio",
                     ["account"])
SPIKE_RATIO = Gauge("billing_usage_account_spike_ratio",
                    "Events of the last complete hour over the account's average hour of the 24 before it "
                    "(at least one event an hour assumed), for the accounts with the highest ratio", ["account"])

HOUR = 3600
BASELINE_HOURS = 24
SPIKE_MIN_EVENTS = 100  # fewer events in an hour is no spike worth a page, whatever the ratio
SPIKE_TOP = 10  # accounts exported: an account label is bounded to these
TALLY_TTL = 2 * 24 * HOUR


def _hour_key(hour: int) -> str:
    return store_key(f"usage_hour:{hour}")


def usage_batch_count(result, *, key_account_id: int | None) -> None:
    """Count one ingested batch (an IngestResult) by result, and its accepted events by account."""
    INGESTED.inc(result.accepted, result="accepted")
    INGESTED.inc(len(result.duplicates), result="duplicate")
    INGESTED.inc(len(result.rejected), result="rejected")
    if not result.accepted:
        return
    key = _hour_key(int(time.time()) // HOUR)
    if key_account_id is not None:  # an account's key: every event is its account's
        tally(key, str(key_account_id), result.accepted)
        return
    for account_id, events in Tally(row.account_id for row in result.stored).items():
        tally(key, str(account_id), events)


def spikes(last_hour: dict[str, float], baseline: dict[str, float]) -> list[tuple[str, float, float]]:
    """(account, events, ratio) of the accounts with the highest ratios; `baseline` holds each
    account's events over the BASELINE_HOURS before the last hour."""
    found = []
    for account, events in last_hour.items():
        if events >= SPIKE_MIN_EVENTS:
            average = baseline.get(account, 0.0) / BASELINE_HOURS
            found.append((account, events, events / max(average, 1.0)))
    return sorted(found, key=lambda item: -item[2])[:SPIKE_TOP]


@refresher
def usage_spike_gauges() -> dict:
    current = int(time.time()) // HOUR
    hours = [current - 1 - back for back in range(BASELINE_HOURS + 1)]  # the last complete hour first
    pipe = client().pipeline(transaction=False)
    for hour in hours:
        pipe.hgetall(_hour_key(hour))
    pipe.expire(_hour_key(current), TALLY_TTL)
    *read, _ = pipe.execute()
    tallies = [{k.decode(): float(v) for k, v in values.items()} for values in read]
    baseline: dict[str, float] = {}
    for earlier in tallies[1:]:
        for account, events in earlier.items():
            baseline[account] = baseline.get(account, 0.0) + events
    found = spikes(tallies[0], baseline)
    return {SPIKE_EVENTS: {(account,): events for account, events, _ in found},
            SPIKE_RATIO: {(account,): ratio for account, _, ratio in found}}
