"""Usage ingestion end to end through the real server, against a raw COPY baseline.

    .venv/bin/python bench/ingest.py [--seconds 30] [--clients 4] [--workers 3] [--duplicates 0.3]

1. Creates a throwaway database (migrated as `make db` does), an account, a metric
   and an operator API key, then starts the web server the way `make run` does
   (granian, `config.wsgi`, several worker processes; DEBUG off).
2. `--clients` processes each send batches of 1,000 events to POST /api/v1/usage/events
   over keep-alive HTTP, `--seconds` in all, in `--segments` stretches; each client
   opens a new connection every `--batches-per-connection` batches. With
   `--duplicates 0.3`, 30% of each batch repeats keys already sent in the previous
   batch (cross-batch duplicates).
3. Checks exactly-once: the rows stored equal the events acknowledged as accepted.
4. Baseline in the same run: a raw `COPY` of the same kind of events, from one
   connection, into an identical partitioned table without keys, RLS or HTTP,
   measured in slices before, between and after the HTTP stretches. Each stretch
   is compared with the mean of the slices around it: the machine's speed drifts
   within a minute, and a baseline taken only before and after (the method of
   earlier runs) measured a different machine than the one the HTTP run had. The
   ratio the fastest slice alone would give is printed too.

Prints events/s (accepted + acknowledged duplicates: every event fully processed),
accepted/s, p50/p99 batch latency and the ratio to COPY. The last line reads
`ingest: <N> events/s, ratio to COPY <R>, p99 <MS> ms`. It asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    django_setup,
    machine_cpu_ticks,
    machine_shares,
    percentile,
    postgres_cpu_seconds,
    server_cpu_by_process,
    throwaway_database,
    web_server,
    worker_shares,
)

BATCH = 1000
MODELS = ("gpt-4", "small", "embed")
REGIONS = ("eu", "us")


def make_events(client: int, batch: int, duplicates: float, account_id: int, now: datetime) -> list[dict]:
    """A batch; with duplicates, its first keys repeat fresh keys of the previous batch (already stored)."""
    repeat = int(BATCH * duplicates) if batch > 0 else 0
    events = []
    for i in range(BATCH):
        key = f"c{client}-b{batch - 1:08d}-{i + repeat}" if i < repeat else f"c{client}-b{batch:08d}-{i}"
        events.append({"metric": "llm_tokens", "idempotency_key": key, "account_id": account_id,
                       "timestamp": (now - timedelta(seconds=i % 600)).isoformat(),
                       "properties": {"tokens": 100 + i % 900, "model": MODELS[i % 3], "region": REGIONS[i % 2]}})
    return events


class BodyTemplate:
    """One encoded batch whose batch numbers are placeholders: each request's body is two
    byte replacements away, so the load generator barely competes with the server for CPU."""

    THIS, PREVIOUS = b"b99999999-", b"b88888888-"

    def __init__(self, client: int, duplicates: float, account_id: int):
        events = make_events(client, 99999999, 0, account_id, datetime.now(UTC))
        repeat = int(BATCH * duplicates)
        for i in range(repeat):
            events[i]["idempotency_key"] = f"c{client}-b88888888-{i + repeat}"
        self.template = msgspec.json.encode({"events": events})
        self.duplicates = duplicates

    def body(self, batch: int) -> bytes:
        body = self.template.replace(self.THIS, b"b%08d-" % batch)
        if self.duplicates and batch > 0:
            return body.replace(self.PREVIOUS, b"b%08d-" % (batch - 1))
        return body.replace(self.PREVIOUS, b"b%08d-" % batch)


def client_loop(args) -> dict:
    client, url, key, account_id, seconds, duplicates, per_connection, first_batch = args
    parts = urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    decode = msgspec.json.decode
    template = BodyTemplate(client, duplicates, account_id)
    latencies, accepted, dup_acks, rejected, batches = [], 0, 0, 0, first_batch
    cpu_started = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = template.body(batches)  # numbered on from the client's last stretch: its keys are new
        started = time.perf_counter()
        connection.request("POST", "/api/v1/usage/events", body=body, headers=headers)
        response = connection.getresponse()
        data = decode(response.read())
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 202:
            raise RuntimeError(f"ingestion answered {response.status}: {data}")
        accepted += data["accepted"]
        dup_acks += len(data["duplicates"])
        rejected += len(data["rejected"])
        batches += 1
        if per_connection and (batches - first_batch) % per_connection == 0:
            # A new connection now and then, as a fleet of producers makes: granian keeps a keep-alive
            # connection on the worker that accepted it, so a few lifelong ones can leave a worker idle.
            connection.close()
    connection.close()
    return {"latencies": latencies, "accepted": accepted, "duplicates": dup_acks, "rejected": rejected,
            "cpu": time.process_time() - cpu_started, "next_batch": batches}


def setup_tenant() -> tuple[int, str]:
    from billing import tenancy
    from billing.services import account_create, api_key_create
    from metering.services import billable_metric_create

    with tenancy.operator_scope():
        account = account_create(name="Bench Corp", external_id="bench")
        billable_metric_create(code="llm_tokens", name="LLM tokens", aggregation="sum", field_name="tokens",
                               group_by=["model"])
        key = api_key_create(name="bench", scopes=["usage:write"]).secret
    return account.pk, key


def stored_events(account_id: int) -> int:
    from django.db import connection

    from billing import tenancy

    with tenancy.operator_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metering_usageevent WHERE account_id = %s", [account_id])
        return cursor.fetchone()[0]


class CopyBaseline:
    """A raw COPY of the same kind of events into an identical table (owner role: no RLS, no keys,
    no HTTP), from one connection, 1,000 rows per transaction as the HTTP batches.

    Measured in slices between the HTTP segments, into one table that grows as the event table
    does, so that each stretch of the HTTP run is compared with COPY at the machine's speed of
    that moment (a shared VM's speed drifts by a fifth within a minute)."""

    TABLE = "bench_copy_usageevent"

    def __init__(self, env: dict, account_id: int, rows: int):
        import psycopg

        from metering.storage import create_sql

        now = datetime.now(UTC)
        self.rows = []
        for batch in range(rows // BATCH):
            for event in make_events(99, batch, 0, account_id, now):
                self.rows.append((account_id, 1, datetime.fromisoformat(event["timestamp"]),
                                  event["idempotency_key"], None, msgspec.json.encode(event["properties"]).decode()))
        self.connection = psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True)
        self.connection.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        self.connection.execute(create_sql(self.TABLE))
        for offset in (-1, 0, 1):
            d = now.date() + timedelta(days=offset)
            self.connection.execute(f"CREATE TABLE {self.TABLE}_p{d:%Y%m%d} PARTITION OF {self.TABLE} "
                                    f"FOR VALUES FROM ('{d}') TO ('{d + timedelta(days=1)}')")
        self.rates: list[float] = []  # rows/s of each slice
        self.cpu_ms_per_batch: list[float] = []  # CPU (client + PostgreSQL) per 1,000 rows of each slice

    def slice(self) -> float:
        """One slice: every prepared row once; returns its rows per second."""
        started = time.perf_counter()
        cpu_before = time.process_time() + postgres_cpu_seconds()
        with self.connection.cursor() as cursor:
            for start in range(0, len(self.rows), BATCH):
                with self.connection.transaction(), cursor.copy(
                        f'COPY {self.TABLE} (account_id, metric_id, "timestamp", idempotency_key, value, '
                        "properties) FROM STDIN") as copy:
                    for row in self.rows[start:start + BATCH]:
                        copy.write_row(row)
        elapsed = time.perf_counter() - started
        self.cpu_ms_per_batch.append((time.process_time() + postgres_cpu_seconds() - cpu_before)
                                     * 1000 * BATCH / len(self.rows))
        self.rates.append(len(self.rows) / elapsed)
        return self.rates[-1]

    def close(self) -> None:
        self.connection.execute(f"DROP TABLE {self.TABLE}")
        self.connection.close()


def run_segments(options, url: str, key: str, account_id: int, baseline: CopyBaseline) -> dict:
    """The HTTP run in `--segments` stretches, a baseline slice before, between and after them.

    Returns the clients' results, the time and CPU of the HTTP stretches only, and the COPY rows
    the same stretches would have allowed (each at the mean of the slices around it)."""
    seconds = options.seconds / options.segments
    results, elapsed, copy_equivalent = [], 0.0, 0.0
    next_batch = [0] * options.clients
    server_cpu, postgres_cpu, machine = 0.0, 0.0, [0, 0, 0]
    server_at_start = server_cpu_by_process(url)
    with multiprocessing.get_context("fork").Pool(options.clients) as pool:
        rate_before = baseline.slice()
        for _ in range(options.segments):
            server_before, postgres_before = server_cpu_by_process(url), postgres_cpu_seconds()
            machine_before = machine_cpu_ticks()
            started = time.perf_counter()
            stretch_results = pool.map(client_loop, [
                (c + 1, url, key, account_id, seconds, options.duplicates, options.batches_per_connection,
                 next_batch[c]) for c in range(options.clients)])
            stretch = time.perf_counter() - started
            machine = [m + a - b for m, a, b in zip(machine, machine_cpu_ticks(), machine_before, strict=True)]
            server_after = server_cpu_by_process(url)
            postgres_cpu += postgres_cpu_seconds() - postgres_before
            server_cpu += sum(server_after.values()) - sum(server_before.values())
            next_batch = [r["next_batch"] for r in stretch_results]
            results += stretch_results
            rate_after = baseline.slice()
            elapsed += stretch
            copy_equivalent += stretch * (rate_before + rate_after) / 2
            rate_before = rate_after
    return {"results": results, "elapsed": elapsed, "copy_equivalent": copy_equivalent, "server_cpu": server_cpu,
            "postgres_cpu": postgres_cpu, "machine": machine_shares((0, 0, 0), tuple(machine)),
            "workers": worker_shares(server_at_start, server_after)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="of HTTP load, in all")
    parser.add_argument("--segments", type=int, default=3, help="HTTP stretches, with a baseline slice around each")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of each batch repeating sent keys")
    parser.add_argument("--copy-rows", type=int, default=100_000, help="per baseline slice")
    parser.add_argument("--batches-per-connection", type=int, default=20,
                        help="each client opens a new connection after this many batches (0: one per client)")
    options = parser.parse_args()

    with throwaway_database("bench_ingest") as env:
        django_setup(env)
        account_id, key = setup_tenant()
        baseline = CopyBaseline(env, account_id, options.copy_rows)
        try:
            with web_server(env, workers=options.workers) as url:
                warm = client_loop((0, url, key, account_id, 2, 0.0, 0, 0))  # each worker's first requests
                run = run_segments(options, url, key, account_id, baseline)
        finally:
            baseline.close()
        stored = stored_events(account_id) - warm["accepted"]
    results, elapsed = run["results"], run["elapsed"]
    latencies = [ms for r in results for ms in r["latencies"]]
    accepted = sum(r["accepted"] for r in results)
    duplicates = sum(r["duplicates"] for r in results)
    rejected = sum(r["rejected"] for r in results)
    copy_rate = run["copy_equivalent"] / elapsed  # COPY's rows/s over the same stretches of time

    rate = (accepted + duplicates) / elapsed
    print(f"server: granian config.wsgi, {options.workers} workers; {options.clients} client processes; "
          f"{len(latencies)} batches of {BATCH} in {elapsed:.1f} s ({options.segments} stretches); "
          f"duplicates {options.duplicates:.0%}; a new connection every {options.batches_per_connection or 'run'} "
          "batches")
    print(f"events: {accepted} accepted, {duplicates} duplicates acknowledged, {rejected} rejected; "
          f"stored {stored} (exactly once: {stored == accepted})")
    print(f"throughput: {rate:,.0f} events/s ({accepted / elapsed:,.0f} accepted/s)")
    print(f"latency per batch: p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms")
    per_batch = 1000 / max(1, len(latencies))
    print(f"CPU per batch: web server {run['server_cpu'] * per_batch:.1f} ms, "
          f"PostgreSQL {run['postgres_cpu'] * per_batch:.1f} ms, "
          f"clients {sum(r['cpu'] for r in results) * per_batch:.1f} ms (machine: {os.cpu_count()} cores); "
          f"raw COPY: {sum(baseline.cpu_ms_per_batch) / len(baseline.cpu_ms_per_batch):.1f} ms per 1,000 rows "
          "(client and PostgreSQL)")
    print(f"machine during the HTTP run: {run['machine']}; web server CPU by process: {run['workers']}")
    slices = " / ".join(f"{r:,.0f}" for r in baseline.rates)
    print(f"baseline: raw COPY {copy_rate:,.0f} rows/s over the same stretches (slices before, between and after "
          f"them: {slices} rows/s; one connection, same rows, identical table); "
          f"the faster slice alone would give a ratio of {rate / max(baseline.rates):.2f}")
    print(f"ingest: {rate:.0f} events/s, ratio to COPY {rate / copy_rate:.2f}, p99 {percentile(latencies, 99):.0f} ms")


if __name__ == "__main__":
    main()
