"""Helpers shared by the HTTP benchmarks: a throwaway database and the real web server.

The server is started the way `make run` starts it (scripts/run.sh): granian with
`config.wsgi:application` and several worker processes, against a database of its own
that this module creates (as the owner role, migrated like `make db`) and drops.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GRANIAN = str(ROOT / ".venv" / "bin" / "granian")
DEFAULT_APP_URL = "postgres://billing_app:billing_app@127.0.0.1:5432/billing"
DEFAULT_OWNER_URL = "postgres://billing_owner:billing_owner@127.0.0.1:5432/billing"


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


@contextmanager
def throwaway_database(prefix: str):
    """Create and migrate a database for one run; yields the environment that points at it."""
    owner_url = os.environ.get("DATABASE_OWNER_URL", DEFAULT_OWNER_URL)
    app_url = os.environ.get("DATABASE_URL", DEFAULT_APP_URL)
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(_with_database(owner_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": _with_database(app_url, name),
           "DATABASE_OWNER_URL": _with_database(owner_url, name),
           "DJANGO_SETTINGS_MODULE": "config.settings.development", "DJANGO_DEBUG": "false",
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           # A Redis database of the benchmarks' own: ids restart in every throwaway database, so
           # cached quota counters of an earlier run must not be mistaken for this run's.
           "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")}
    import redis

    redis.Redis.from_url(env["CACHE_URL"]).flushdb()
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "--database", "owner", "--no-input", "-v", "0"],
                       cwd=ROOT, env=env, check=True)
        yield env
    finally:
        if "django.db" in sys.modules:  # this process's own connections, as the app role (FORCE can't end those)
            from django.db import connections

            connections.close_all()
        _drop(owner_url, name)


def _drop(owner_url: str, name: str) -> None:
    """The web server's workers may still be closing their connections (as the app role, which
    the owner cannot end): wait for them a little."""
    for attempt in range(20):
        try:
            with psycopg.connect(_with_database(owner_url, "postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 19:
                raise
            time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(env: dict, workers: int = 3):
    """granian as scripts/run.sh runs it; yields the base URL once /health/live answers."""
    port = free_port()
    command = [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(workers), "--blocking-threads", os.environ.get("WEB_THREADS", "2"), "--log-level", "warning",
               "config.wsgi:application"]
    process = subprocess.Popen(
        command,
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/live", timeout=1):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web server did not start") from None
                time.sleep(0.2)
        SERVER_GROUPS[url] = process.pid
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


SERVER_GROUPS: dict[str, int] = {}


def _cpu_seconds(matches) -> float:
    """CPU time (user + system) used so far by the processes for which `matches(name, pgrp)` holds."""
    return sum(_cpu_seconds_by_pid(matches).values())


def _cpu_seconds_by_pid(matches) -> dict[int, float]:
    by_pid, ticks = {}, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, rest = stat.read().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()  # after the name: state, ppid, pgrp, ... utime (11), stime (12)
        if matches(name, int(fields[2])):
            by_pid[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return by_pid


def server_cpu_seconds(url: str) -> float:
    """CPU time used so far by the web server's processes (granian and its workers)."""
    return sum(server_cpu_by_process(url).values())


def server_cpu_by_process(url: str) -> dict[int, float]:
    """CPU time used so far by each of the web server's processes."""
    group = SERVER_GROUPS[url]
    return _cpu_seconds_by_pid(lambda name, pgrp: pgrp == group)


def worker_shares(before: dict[int, float], after: dict[int, float]) -> str:
    """Each busy server process's share of the server's CPU between two readings, largest first.

    granian hands a keep-alive connection to one worker for its whole life, and does not
    balance them: when all clients' connections land on one worker, only that worker (and
    its database session) works, and the run measures one core instead of the machine's.
    """
    used = sorted((after[pid] - before.get(pid, 0.0) for pid in after), reverse=True)
    total = sum(used) or 1.0
    return " / ".join(f"{share / total:.0%}" for share in used if share / total >= 0.01)


def postgres_cpu_seconds() -> float:
    """CPU time used so far by PostgreSQL's processes (all of them: backends, WAL writer, checkpointer)."""
    return _cpu_seconds(lambda name, pgrp: name.startswith("postgres"))


def machine_cpu_ticks() -> tuple[int, int, int]:
    """(busy, idle, stolen) CPU ticks of the whole machine so far (/proc/stat). Stolen: time the
    hypervisor ran something else while this VM wanted to run; it explains a slow run."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq, idle + iowait, steal


def machine_shares(before: tuple[int, int, int], after: tuple[int, int, int]) -> str:
    busy, idle, stolen = (a - b for a, b in zip(after, before, strict=True))
    total = busy + idle + stolen or 1
    return f"busy {busy / total:.0%}, idle {idle / total:.0%}, stolen {stolen / total:.0%}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def django_setup(env: dict) -> None:
    """Configure Django in this process against the benchmark's database."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DATABASE_OWNER_URL", "DJANGO_SETTINGS_MODULE",
                                           "DJANGO_DEBUG", "LOG_LEVEL", "CACHE_URL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class LeanHttpClient:
    """One keep-alive connection of the load generator, with its request prepared as bytes.

    http.client spends about 0.2-0.35 ms of CPU per request, as much as the cheapest
    server answer: on two shared cores the load generator would measure itself. This one
    sends prepared bytes; `paced_requests` reads each answer by its Content-Length.
    """

    def __init__(self, url: str, method: str, path: str, headers: dict, body: bytes | None = None):
        parts = urlparse(url)
        self.address = (parts.hostname, parts.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        self.sock = None
        self.buffer = b""
        self.due: float | None = None  # when the request in flight was due (paced_requests)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _answer_length(buffer: bytes) -> tuple[int, int] | None:
    """(status, bytes taken by the first complete answer in `buffer`), or None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    header_lines = buffer[:end].split(b"\r\n")
    length = 0
    for line in header_lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if len(buffer) < end + 4 + length:
        return None
    return int(header_lines[0].split(b" ", 2)[1]), end + 4 + length


def paced_requests(clients: list[LeanHttpClient], rate: float, seconds: float, warmup: float = 0.0) -> dict:
    """Open loop from one process: request i is due at start + i / rate and goes out on a free
    keep-alive connection as soon as one is; its latency counts from when it was due, so waiting
    for a connection counts too (no coordinated omission). One process waiting in select()
    rather than one process per connection: on two shared cores, fewer processes of the load
    generator compete with the server for the CPU. select() because epoll's timeout has only
    millisecond resolution, which would send requests up to 1 ms late.

    The first `warmup` seconds run at the same rate on the same connections but are not
    recorded: each connection is bound to one server worker, and a worker's first requests
    fill its caches (the steady state is what is measured). `requests` counts them all."""
    for client in clients:
        client.sock = socket.create_connection(client.address)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.buffer, client.due = b"", None
    by_socket = {client.sock: client for client in clients}
    free, waiting = list(clients), []
    latencies, errors = [], 0
    interval = 1.0 / rate
    cpu_started, start = time.process_time(), time.perf_counter()
    issued = sent = 0
    seconds += warmup
    recorded_from = start + warmup
    while True:
        now = time.perf_counter()
        while now - start < seconds and start + issued * interval <= now:
            waiting.append(start + issued * interval)
            issued += 1
        while waiting and free:
            client = free.pop()
            client.due = waiting.pop(0)
            client.sock.sendall(client.request)
            sent += 1
        if now - start >= seconds and not waiting and len(free) == len(clients):
            break
        timeout = max(0.0, start + issued * interval - time.perf_counter()) if now - start < seconds else 1.0
        readable, _, _ = select.select(list(by_socket), [], [], timeout)
        for sock in readable:
            client = by_socket[sock]
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed a connection")
            client.buffer += chunk
            answer = _answer_length(client.buffer)
            if answer is not None:
                if client.due >= recorded_from:
                    latencies.append((time.perf_counter() - client.due) * 1000)
                    errors += answer[0] != 200
                client.buffer, client.due = client.buffer[answer[1]:], None
                free.append(client)
    elapsed = time.perf_counter() - recorded_from
    for client in clients:
        client.close()
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "requests": sent,
            "cpu": time.process_time() - cpu_started}
