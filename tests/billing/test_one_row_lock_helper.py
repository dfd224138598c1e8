"""One row lock: a service that locks one row to change or update it does so with `billing.transitions.row_lock`
(only that table's row, read afresh, NotFound or None when missing), never with its own `select_for_update`.
The places left are listed here with why: a row created if missing (row_lock reads existing rows only), many
rows locked in one statement (set-based claims and chunks), and the kernel itself. A new one fails here until
it is either a row_lock or listed with its reason."""

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("billing", "invoicing", "metering", "payments")

CREATE_OR_LOCK = {  # select_for_update().get_or_create(...)
    "billing/clock.py": 1,
    "billing/services/customers.py": 2,  # the billing profile
    "invoicing/services/preferences.py": 1,
    "invoicing/services/bill_run_failures.py": 1,
    "payments/services/dunning.py": 2,
}
MANY_ROWS = {
    "billing/outbox.py": 1,  # a batch of due events, SKIP LOCKED
    "invoicing/services/finalize_bulk.py": 1,  # a chunk of drafts, SKIP LOCKED
    "invoicing/services/renewals_bulk.py": 1,  # a bill-run chunk's subscriptions
    "billing/services/lifecycle_bulk.py": 1,  # the same, when advanced on their own
    "billing/services/customers_bulk.py": 1,  # a chunk's billing profiles, in account order
    "billing/services/signin.py": 1,  # the attempt's two throttle rows, in key order
    "billing/services/subscriptions.py": 1,  # a subscription's active discounts
    "payments/services/methods.py": 2,  # an account's active payment methods
}
KERNEL = {"billing/transitions.py": 2}  # row_lock, and transition()'s re-check of the state
LEFT: dict[str, int] = {}


def _locks() -> Counter:
    found = Counter()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                    found[path.relative_to(ROOT).as_posix()] += 1
    return found


def test_rows_are_locked_with_row_lock_except_where_listed_with_a_reason():
    assert _locks() == Counter({**CREATE_OR_LOCK, **MANY_ROWS, **KERNEL, **LEFT})
