"""Helpers shared by the HTTP benchmarks: a throwaway database and the real web server.

The server is started the way `make run` starts it (scripts/run.sh): gunicorn with
`config.wsgi:application` and several sync workers, against a database of its own
that this module creates (as the owner role, migrated like `make db`) and drops.
"""

from __future__ import annotations

import os
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
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
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
        with psycopg.connect(_with_database(owner_url, "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(env: dict, workers: int = 3):
    """gunicorn as scripts/run.sh runs it; yields the base URL once /health/live answers."""
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--log-level", "warning"],
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
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


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
