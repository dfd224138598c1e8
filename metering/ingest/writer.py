"""Writing a validated batch exactly once: COPY into a staging table, then one statement.

PostgreSQL refuses `COPY FROM` into a table with row-level security, so the
batch is copied (binary COPY, psycopg) into a session temp table and moved with
one INSERT ... SELECT that also claims the idempotency keys:

- `metering_usagekey`'s primary key (account_id, idempotency_key) decides which
  events are new. The claim inserts the keys an index probe did not find; a key
  that a concurrent request inserted but has not committed is invisible to the
  probe, so the INSERT waits for that request and fails on the key once it
  commits. The batch is then written again with ON CONFLICT DO NOTHING, which
  waits and skips: concurrent duplicates count once either way.
- Only events whose key was claimed here are inserted into the partitioned
  event table. Keys and events commit together: a crash leaves neither, and a
  resend of the same batch counts each event once.
Keys are claimed in sorted order so two batches sharing keys cannot deadlock.
`received_at` is the statement's time (not the transaction's), so the rollup job,
which folds events by time of receipt, sees a later batch as later.
"""

from __future__ import annotations

from datetime import UTC

from django.db import IntegrityError, OperationalError, connection, transaction

from metering.storage import EVENTS_TABLE, KEYS_TABLE

from .validate import Row

# Named apart from the staging tables of earlier versions (text COPY; keys in the default collation),
# which long-lived sessions may still hold.
STAGING = "metering_usage_batch"
RETRIES = 3

# `properties` arrives as JSON text and becomes jsonb in the move: binary COPY would
# otherwise send a Python str as a JSON *string*.
_CREATE_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGING} (
    seq integer NOT NULL, account_id bigint NOT NULL, metric_id bigint NOT NULL,
    "timestamp" timestamptz NOT NULL, idempotency_key varchar(255) COLLATE "C" NOT NULL,
    value numeric, properties text NOT NULL
) ON COMMIT DELETE ROWS
"""
_COPY = (f'COPY {STAGING} (seq, account_id, metric_id, "timestamp", idempotency_key, value, properties) '
         "FROM STDIN (FORMAT BINARY)")
_COPY_TYPES = ["int4", "int8", "int8", "timestamptz", "varchar", "numeric", "text"]
# Claiming a key: a plain INSERT of the keys not found by an index probe. `OFFSET 0` keeps the
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
MOVE_PLAIN = _MOVE.format(claim=_CLAIM_PLAIN)
MOVE_ON_CONFLICT = _MOVE.format(claim=_CLAIM_ON_CONFLICT)


def _partitions_sql(rows: list[Row]) -> tuple[str, list]:
    times = [row.timestamp for row in rows]
    first, last = min(times), max(times)
    return ("SELECT metering_usage_partitions_ensure(%s::date, %s::date)",
            [first.astimezone(UTC).date(), last.astimezone(UTC).date()])


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


def write_rows(rows: list[Row], *, move: str = MOVE_ON_CONFLICT) -> set[int]:
    """Store the rows not seen before; return the batch indexes that were duplicates.

    Must run inside the caller's transaction (with the RLS scope set). Three round
    trips: partitions + staging table, COPY, the move.
    """
    if not rows:
        return set()
    partitions, params = _partitions_sql(rows)
    with connection.cursor() as cursor:
        # The DELETE: the staging table is empty after a commit, but not inside an enclosing
        # transaction (tests, file import).
        cursor.execute(f"{partitions}; {_CREATE_STAGING}; DELETE FROM {STAGING}", params)  # noqa: S608
        with cursor.cursor.copy(_COPY) as copy:
            copy_rows(copy, rows)
        cursor.execute(move)
        duplicate_indexes = cursor.fetchall()
    return {index for (index,) in duplicate_indexes}


def write_rows_retrying(rows: list[Row]) -> set[int]:
    """`write_rows` in its own transaction, retried on deadlock or serialization failure.

    The keys are claimed by a plain INSERT first; when a concurrent request claimed one of
    them meanwhile (unique violation), the batch is written again with ON CONFLICT.
    """
    move, attempt = MOVE_PLAIN, 0
    while True:
        try:
            with transaction.atomic():
                return write_rows(rows, move=move)
        except IntegrityError as exc:
            if move is MOVE_ON_CONFLICT or _sqlstate(exc) != "23505":
                raise
            move = MOVE_ON_CONFLICT
        except OperationalError as exc:
            attempt += 1
            if _sqlstate(exc) not in ("40P01", "40001") or attempt == RETRIES:
                raise


def _sqlstate(exc: Exception) -> str | None:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None)
