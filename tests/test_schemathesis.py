"""The API answers what its OpenAPI schema says, found by schemathesis: every check, every phase
(examples, coverage, fuzzing, stateful), once with an operator key and once with an account key.

The server is the web process's own WSGI stack (the fast lanes in front of Django, config/wsgi.py)
on a local port, over the demo data (`manage.py load_demo`: two accounts on the seed-002 catalog,
their subscriptions and first invoices, usage, a sandbox card); the schemathesis CLI runs against it
in a subprocess, with a fixed seed, bounded by SCHEMATHESIS_MAX_EXAMPLES per operation (raise it, or
change SCHEMATHESIS_SEED, for a longer or another hunt). Passing means no server error and no answer
the schema does not describe; a failure prints schemathesis's report (with a curl line to replay each
case) and, above it, the server's log of any 500.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import override_settings

from billing import tenancy
from billing.api.fastlane import with_fast_lanes
from billing.models import Account, ApiScope
from billing.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261207")
# The one operation left out: the operator run would revoke its own key with it.
EXCLUDED_OPERATIONS = ["POST /api/v1/api-keys/{key_id}/revoke"]
# The schema describes each field; it cannot say that a plan code must name an existing plan, that an
# operator key must name the account, or that a subscription already has the plan it is moved to. Such
# requests are valid for the schema and refused with a 400 (or 422) naming the field, so those statuses
# are expected of "valid" data too; any other refusal of valid data still fails the check.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
"""
# Failures that belong to unfinished work elsewhere: (failure code, "METHOD /path"), each with its
# reason. Empty is the goal.
EXPECTED_FAILURES: dict[tuple[str, str], str] = {}


class QuietHandler(WSGIRequestHandler):
    # Headers and body leave in separate writes: with Nagle's algorithm on, each answer on a kept-alive
    # connection waited for the client's delayed ACK (~40 ms), most of the run's time.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        pass


@pytest.fixture
def api_url(transactional_db):
    """The demo data, and the WSGI stack serving it on a free local port (its request logs silenced:
    schemathesis reports what matters)."""
    with override_settings(API_THROTTLE_RATE_PER_MINUTE=10**9):
        call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(with_fast_lanes(WSGIHandler()))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        logging.disable(logging.WARNING)  # errors (a 500's traceback) still show
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            logging.disable(logging.NOTSET)


def key(account: Account | None) -> str:
    scopes = [s.value for s in ApiScope if account is None or s != ApiScope.ADMIN]
    with tenancy.operator_scope():
        return api_key_create(name="schemathesis", scopes=scopes, account=account).secret


def run_schemathesis(url: str, api_key: str, tmp_path: Path) -> tuple[set[tuple[str, str]], str]:
    """The failures of one run as (code, operation) pairs, and what schemathesis printed."""
    report, config = tmp_path / "report.json", tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", f"{url}/api/v1/schema/",
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--seed", SEED,
        "--header", f"Authorization: Bearer {api_key}", "--request-timeout", "60",
        "--report", "json", "--report-json-path", str(report), "--output-truncate", "false", "--no-color",
        *[arg for operation in EXCLUDED_OPERATIONS for arg in ("--exclude-name", operation)],
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False,  # noqa: S603
                              cwd=tmp_path)  # schemathesis keeps a cache in its working directory
    output = finished.stdout + finished.stderr
    assert report.exists(), output
    result = json.loads(report.read_text())
    assert not result["errors"], output
    assert result["operations"]["tested"] == result["operations"]["selected"], output
    return {(failure["code"], operation) for failure in result["failures"] for operation in failure["operations"]}, output


def assert_conforms(failures: set[tuple[str, str]], output: str) -> None:
    unexpected = sorted(failures - set(EXPECTED_FAILURES))
    assert not unexpected, f"schemathesis found {unexpected}:\n{output}"


def test_with_an_operator_key_every_answer_is_in_the_schema(api_url, tmp_path):
    assert_conforms(*run_schemathesis(api_url, key(None), tmp_path))


def test_with_an_account_key_every_answer_is_in_the_schema(api_url, tmp_path):
    with tenancy.operator_scope():
        acme = Account.objects.get(name="Acme Corp")
    assert_conforms(*run_schemathesis(api_url, key(acme), tmp_path))
