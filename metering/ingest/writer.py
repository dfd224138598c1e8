"""Writing a validated batch exactly once: COPY into a staging table, then one statement.

PostgreSQL refuses `COPY FROM` into a table with row-level security, so the
batch is copied (binary COPY, psycopg) into a session temp table and moved with
one INSERT ... SELECT that also claims the idempotency keys:

- `metering_usagekey`'s primary key (account_id, idempotency_key) decides which
  events are new. The first attempt inserts every key of the batch (most batches
  hold no key seen before); a key stored earlier fails it with a unique violation
  and the batch is written again, now inserting only the keys an index probe did
  not find. A key that a concurrent request inserted but has not committed is
  invisible to that probe, so the INSERT waits for that request and fails on the
  key once it commits; the batch is then written a last time with ON CONFLICT DO
  NOTHING, which waits and skips. Concurrent duplicates count once either way.
- Only events whose key was claimed here are inserted into the partitioned
  event table. Keys and events commit together: a crash leaves neither, and a
  resend of the same batch counts each event once.
Keys are claimed in sorted order so two batches sharing keys cannot deadlock.
`received_at` is the statement's time (not the transaction's), so the rollup job,
which folds events by time of receipt, sees a later batch as later.

Each connection remembers, once a batch has committed on it, that its staging
table exists, and the process remembers which days' partitions exist; a batch
that finds one of them gone (retention dropped a day, the session lost its temp
tables) is written again with both made sure of. The move is a prepared statement.
"""

from __future__ import annotations

from datetime import UTC, date

import psycopg
from django.db import IntegrityError, OperationalError, ProgrammingError, connection, transaction

from metering.storage import EVENTS_TABLE, KEYS_TABLE

from .validate import Row

# Named apart from the staging tables of earlier versions (text COPY; keys in the default collation;
# COPY's multi-row path), which long-lived sessions may still hold.
STAGING = "metering_usage_staged"
RETRIES = 3

# `properties` arrives as JSON text and becomes jsonb in the move: binary COPY would
# otherwise send a Python str as a JSON *string*. `one_by_one` is never read: a volatile
# default on a column the COPY leaves out makes PostgreSQL (15) copy row by row. Its
# multi-row path builds a tuple slot per buffered row, a thousand per batch, which costs a
# temp table (no WAL to save) more than it saves: about a tenth less PostgreSQL CPU per
# batch (docs/performance.md).
_CREATE_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGING} (
    seq integer NOT NULL, account_id bigint NOT NULL, metric_id bigint NOT NULL,
    "timestamp" timestamptz NOT NULL, idempotency_key varchar(255) COLLATE "C" NOT NULL,
    value numeric, properties text NOT NULL, one_by_one float8 DEFAULT random()
) ON COMMIT DELETE ROWS
"""
_COPY = (f'COPY {STAGING} (seq, account_id, metric_id, "timestamp", idempotency_key, value, properties) '
         "FROM STDIN (FORMAT BINARY)")
_COPY_TYPES = ["int4", "int8", "int8", "timestamptz", "varchar", "numeric", "text"]
# After a stored duplicate: a plain INSERT of the keys not found by an index probe. `OFFSET 0` keeps the
# probe a per-row subplan (an index lookup), whatever the planner guesses of the staging table.
# A key another request inserted meanwhile fails the INSERT with a unique violation (after
# waiting for that request to commit); the batch is then written again with ON CONFLICT, which
# waits and skips instead. The plain INSERT is the common case: speculative insertion costs
# more per key (measured in docs/performance.md).
_CLAIM_PLAIN = f"""
    INSERT INTO {KEYS_TABLE} (account_id, idempotency_key, received_at)
    SELECT account_id, idempotency_key, statement_timestamp() FROM {STAGING} s
    WHERE NOT EXISTS (SELECT FROM {KEYS_TABLE} k
                      WHERE k.account_id = s.account_id AND k.idempotency_key = s.idempotency_key OFFSET 0)
    ORDER BY account_id, idempotency_key
    RETURNING account_id, idempotency_key
"""  # noqa: S608
_CLAIM_ON_CONFLICT = f"""
    INSERT INTO {KEYS_TABLE} (account_id, idempotency_key, received_at)
    SELECT account_id, idempotency_key, statement_timestamp() FROM {STAGING} ORDER BY account_id, idempotency_key
    ON CONFLICT DO NOTHING
    RETURNING account_id, idempotency_key
"""  # noqa: S608
_MOVE = f"""
WITH fresh AS ({{claim}}), stored AS (
    INSERT INTO {EVENTS_TABLE} (account_id, metric_id, "timestamp", idempotency_key, value, properties, received_at)
    SELECT s.account_id, s.metric_id, s."timestamp", s.idempotency_key, s.value, s.properties::jsonb,
           statement_timestamp()
    FROM {STAGING} s JOIN fresh f USING (account_id, idempotency_key)
)
SELECT s.seq FROM {STAGING} s LEFT JOIN fresh f USING (account_id, idempotency_key)
WHERE f.account_id IS NULL
"""  # noqa: S608
# The first attempt: every key is new, or the statement fails on the first stored one. With
# nothing to tell apart, the events need no join with the claimed keys, and there is nothing to
# return. The count makes the keys go first (an unread CTE would run last): a stored key then
# fails the statement before any event is written.
MOVE_ALL = f"""
WITH claimed AS (
    INSERT INTO {KEYS_TABLE} (account_id, idempotency_key, received_at)
    SELECT account_id, idempotency_key, statement_timestamp() FROM {STAGING} ORDER BY account_id, idempotency_key
    RETURNING 1
)
INSERT INTO {EVENTS_TABLE} (account_id, metric_id, "timestamp", idempotency_key, value, properties, received_at)
SELECT account_id, metric_id, "timestamp", idempotency_key, value, properties::jsonb, statement_timestamp()
FROM {STAGING} WHERE (SELECT count(*) FROM claimed) > 0
"""  # noqa: S608
MOVE_PLAIN = _MOVE.format(claim=_CLAIM_PLAIN)
MOVE_ON_CONFLICT = _MOVE.format(claim=_CLAIM_ON_CONFLICT)


# Days whose partition exists, as far as this process knows (only retention drops them).
_ensured_days: set[date] = set()


def _days(rows: list[Row]) -> set[date]:
    return {row.timestamp.astimezone(UTC).date() for row in rows}


def _prelude(days: set[date], *, trusted: bool) -> str | None:
    """The statements a batch needs before its COPY; `trusted` lets it rely on what this
    connection and process remember (only outside an enclosing transaction, whose
    rollback could undo what they remember)."""
    statements = []
    if not (trusted and days <= _ensured_days):
        first, last = min(days), max(days)
        statements.append(f"SELECT metering_usage_partitions_ensure('{first}'::date, '{last}'::date)")
    if not (trusted and _staging_known()):
        statements.append(_CREATE_STAGING)
    if not trusted:
        # The staging table is empty after a commit, but not inside an enclosing transaction
        # (tests, file import).
        statements.append(f"DELETE FROM {STAGING}")  # noqa: S608
    return "; ".join(statements) or None


def _staging_known() -> bool:
    staged_on = getattr(connection, "_metering_staging", None)
    return staged_on is not None and staged_on is connection.connection


def _remember(days: set[date]) -> None:
    connection._metering_staging = connection.connection
    _ensured_days.update(days)


def _forget() -> None:
    connection._metering_staging = None
    _ensured_days.clear()


def copy_rows(copy, rows: list[Row]) -> None:
    """The batch in COPY's binary format (psycopg's C dumpers: no text to build, escape or parse).

    `seq` is each row's index in the request. Values are typed by validation:
    aware datetimes, Decimal or None, JSON text.
    """
    copy.set_types(_COPY_TYPES)
    write = copy.write_row
    for row in rows:
        write((row.index, row.account_id, row.metric_id, row.timestamp, row.idempotency_key, row.value,
               row.properties))


def write_rows(rows: list[Row], *, move: str = MOVE_ON_CONFLICT, trusted: bool = False,
               days: set[date] | None = None) -> set[int]:
    """Store the rows not seen before; return the batch indexes that were duplicates.

    Must run inside the caller's transaction (with the RLS scope set). Two round
    trips, COPY and the move, plus one before them for partitions and the staging
    table unless `trusted` (see `_prelude`). `days`: the rows' days, when the caller has them.
    """
    if not rows:
        return set()
    prelude = _prelude(days or _days(rows), trusted=trusted)
    if prelude:
        with connection.cursor() as cursor:
            cursor.execute(prelude)
    connection.ensure_connection()
    # psycopg's own cursor: Django's (client-side binding) cannot prepare a statement, and
    # planning the move costs about a tenth of executing it. Errors are wrapped as Django's.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        with cursor.copy(_COPY) as copy:
            copy_rows(copy, rows)
        cursor.execute(move, prepare=True)
        if move is MOVE_ALL:
            return set()
        duplicate_indexes = cursor.fetchall()
    return {index for (index,) in duplicate_indexes}


# What the next attempt writes with after a unique violation.
_ESCALATION = {MOVE_ALL: MOVE_PLAIN, MOVE_PLAIN: MOVE_ON_CONFLICT}
# Accounts whose last batch held a stored key. A client that resends (retries, replays) tends to
# go on doing so, and for its batches the probing claim costs less than a first attempt that fails
# and is written again; a batch without one sends the account back to the first attempt.
_resending: set[int] = set()
_RESENDING_MAX = 10_000


def write_rows_retrying(rows: list[Row]) -> set[int]:
    """`write_rows` in its own transaction, retried on deadlock or serialization failure.

    Every key is claimed by a plain INSERT first; a unique violation (a key stored
    before, or claimed by a concurrent request meanwhile) writes the batch again
    with the next, more careful claim (see the module's docstring).
    """
    accounts, days = {row.account_id for row in rows}, _days(rows)
    first = MOVE_PLAIN if not _resending.isdisjoint(accounts) else MOVE_ALL
    move, attempt = first, 0
    trusted = not connection.in_atomic_block
    while True:
        try:
            with transaction.atomic():
                duplicates = write_rows(rows, move=move, trusted=trusted, days=days)
            if trusted:
                _remember(days)
            _note_resending(accounts, resent=bool(duplicates) or move is not first)
            return duplicates
        except IntegrityError as exc:
            state = _sqlstate(exc)
            if state == "23505" and move in _ESCALATION:
                move = _ESCALATION[move]
            elif state == "23514" and trusted:  # no partition for a row: retention dropped a remembered day
                _forget()
                trusted = False
            else:
                raise
        except ProgrammingError as exc:
            if _sqlstate(exc) != "42P01" or not trusted:  # the session lost its staging table
                raise
            _forget()
            trusted = False
        except OperationalError as exc:
            attempt += 1
            if _sqlstate(exc) not in ("40P01", "40001") or attempt == RETRIES:
                raise


def _note_resending(accounts: set[int], *, resent: bool) -> None:
    if not resent:
        _resending.difference_update(accounts)
        return
    if len(_resending) >= _RESENDING_MAX:
        _resending.clear()
    _resending.update(accounts)


def _sqlstate(exc: Exception) -> str | None:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None)
