"""Quota checks through the real server at a fixed rate, against the server's own floor.

    .venv/bin/python bench/quota.py [--rate 2000] [--seconds 20] [--warmup 2] [--clients 8] [--processes 1]
                                    [--workers 3]

Starts the web server the way `make run` does (granian, `config.wsgi`, several worker
processes; DEBUG off) on a throwaway database with one account subscribed to a plan
with a hard limit on `api_calls`, then sends POST /api/v1/quotas/check at `--rate`
checks per second for `--seconds` over `--clients` keep-alive connections (one key each),
and records each check's latency after `--warmup` seconds at the same rate on the same
connections (each connection is bound to one server worker; the steady state is measured,
not each worker's first requests). Open loop: each check is due at a fixed time and its
latency counts from then, so waiting behind a slow one counts too; one process
(`--processes`) paces all connections from a select() loop, so the load generator adds
one process, not one per connection, to the two cores the server runs on. Baseline
in the same run and at the same rate: GET /health/live, the cheapest request Django
answers (no authentication, no database). The checks of a warmed-up key mostly take the
fast lane in front of Django (metering/quotas/fastlane.py), so they can beat the baseline.
Also prints the CPU time per request of the server's processes and of the clients.

The last line reads `quota: <N> checks/s, p50 <MS> ms, p99 <MS> ms, ratio to health p99 <R>`.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    LeanHttpClient,
    django_setup,
    paced_requests,
    percentile,
    server_cpu_seconds,
    throwaway_database,
    web_server,
)


def setup_tenant(keys: int) -> tuple[int, list[str]]:
    from billing import tenancy
    from billing.services import account_create, api_key_create, plan_create, subscription_create
    from metering.ingest.decode import EventIn
    from metering.services import billable_metric_create, usage_events_record

    with tenancy.operator_scope():
        account = account_create(name="Bench Corp", external_id="bench")
        billable_metric_create(code="api_calls", name="API calls")
        plan = plan_create(code="bench", name="Bench", prices={"USD": {"flat_amount": 0, "seat_amount": None}},
                           limits=[{"metric": "api_calls", "included": 1_000_000, "cap_mode": "hard"}])
        subscription_create(account=account, plan=plan)
        usage_events_record(events=[EventIn(metric="api_calls", idempotency_key=f"seed-{i}", account_id=account.pk)
                                    for i in range(1000)])
        # One key per client process, as each instance of an operator's service might have: one key
        # shared by all would pass the per-key limit (API_THROTTLE_RATE_PER_MINUTE, 1,000/s) at 2,000/s.
        secrets = [api_key_create(name=f"bench {i}", scopes=["usage:read"], account=account).secret
                   for i in range(keys)]
    return account.pk, secrets


def client_loop(args) -> dict:
    """One load-generator process: its connections (one key each), paced from one loop."""
    url, keys, rate, seconds, warmup, method, path, body = args
    payload = json.dumps(body).encode() if body is not None else None
    clients = [LeanHttpClient(url, method, path, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                              payload) for key in keys]
    return paced_requests(clients, rate, seconds, warmup)


def run(url, keys, options, method, path, body) -> tuple[float, list[float], int, dict]:
    """(rate achieved, latencies, errors, CPU microseconds per request of the server and of the clients)."""
    processes = max(1, min(options.processes, options.clients))
    shares = [[keys[c % len(keys)] for c in range(options.clients) if c % processes == p] for p in range(processes)]
    server_before = server_cpu_seconds(url)
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(client_loop, [(url, share, options.rate / processes, options.seconds, options.warmup,
                                          method, path, body) for share in shares])
    latencies = [ms for r in results for ms in r["latencies"]]
    elapsed = max(r["elapsed"] for r in results)
    sent = max(1, sum(r["requests"] for r in results))  # the warm-up's requests used CPU too
    cpu = {"server": (server_cpu_seconds(url) - server_before) * 1e6 / sent,
           "clients": sum(r["cpu"] for r in results) * 1e6 / sent}
    return len(latencies) / elapsed, latencies, sum(r["errors"] for r in results), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8, help="keep-alive connections, one key each")
    parser.add_argument("--processes", type=int, default=1, help="load-generator processes sharing the connections")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds at the full rate on the same connections before recording")
    options = parser.parse_args()
    check = {"metric": "api_calls", "quantity": 1}

    with throwaway_database("bench_quota") as env:
        django_setup(env)
        _, keys = setup_tenant(options.clients)
        with web_server(env, workers=options.workers) as url:
            warmup = argparse.Namespace(rate=200, seconds=2, warmup=0, clients=options.clients,
                                        processes=options.processes)
            run(url, keys, warmup, "POST", "/api/v1/quotas/check", check)  # the keys' first checks: full path
            health_rate, health, _, health_cpu = run(url, keys, options, "GET", "/health/live", None)
            rate, latencies, errors, check_cpu = run(url, keys, options, "POST", "/api/v1/quotas/check", check)

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"server: granian config.wsgi, {options.workers} workers; {options.clients} connections from "
          f"{options.processes} load-generator process(es); "
          f"target {options.rate:.0f}/s for {options.seconds:.0f} s")
    print(f"baseline: GET /health/live {health_rate:,.0f}/s, p50 {percentile(health, 50):.2f} ms, "
          f"p99 {percentile(health, 99):.2f} ms; CPU per request: server {health_cpu['server']:.0f} us, "
          f"clients {health_cpu['clients']:.0f} us")
    print(f"quota check: {rate:,.0f} checks/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, {errors} errors; CPU per "
          f"check: server {check_cpu['server']:.0f} us, clients {check_cpu['clients']:.0f} us")
    print(f"quota: {rate:.0f} checks/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"ratio to health p99 {p99 / max(percentile(health, 99), 0.001):.1f}")


if __name__ == "__main__":
    main()
