"""Raw storage upkeep: partitions ahead of time, whole partitions dropped after retention, old keys pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from billing.audit import audit_record
from metering import conf
from metering.storage import KEYS_TABLE

DAYS_AHEAD = 7
PRUNE_BATCH = 10_000


def _today():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0].astimezone(UTC).date()


@transaction.atomic
def usage_partitions_maintain() -> dict:
    """Create the next week's partitions (and the acceptance window's) and drop those past retention.

    Idempotent; killed halfway, the transaction leaves everything as it was.
    """
    today = _today()
    oldest_kept = today - timedelta(days=conf.settings.METERING_RETENTION_DAYS)
    first_needed = today - timedelta(days=conf.settings.METERING_ACCEPTANCE_WINDOW_DAYS + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT metering_usage_partitions_ensure(%s, %s)",
                       [max(first_needed, oldest_kept), today + timedelta(days=DAYS_AHEAD)])
        created = cursor.fetchone()[0]
        cursor.execute("SELECT metering_usage_partitions_drop_before(%s)", [oldest_kept])
        dropped = cursor.fetchone()[0]
    if created or dropped:
        audit_record(action="metering.partitions_maintained", object_type="metering.usageevent", object_id="",
                     after={"created": created, "dropped": dropped, "dropped_before": oldest_kept.isoformat()})
    return {"created": created, "dropped": dropped}


def usage_keys_prune(*, max_batches: int = 100) -> int:
    """Delete idempotency keys older than the acceptance window plus a day, in small transactions."""
    total = 0
    for _ in range(max_batches):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {KEYS_TABLE} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {KEYS_TABLE} "  # noqa: S608
                "WHERE received_at < statement_timestamp() - %s LIMIT %s))",
                [conf.key_retention(), PRUNE_BATCH],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < PRUNE_BATCH:
            break
    return total


def usage_fine_rollups_prune(*, max_batches: int = 100) -> int:
    """Delete minute buckets and per-day distinct values older than the retention, in small transactions.

    They serve the edges of periods and unique counts that raw events still cover; past the
    retention only the hour and day buckets are kept (forever).
    """
    total = 0
    for table, condition in (("metering_usagerollup", "granularity = 'minute' AND "), ("metering_usagedistinctvalue", "")):
        for _ in range(max_batches):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id = ANY(ARRAY(SELECT id FROM {table} "  # noqa: S608
                    f"WHERE {condition}bucket_start < %s LIMIT %s))",
                    [_retention_start(), PRUNE_BATCH],
                )
                deleted = cursor.rowcount
            total += deleted
            if deleted < PRUNE_BATCH:
                break
    return total


def _retention_start():
    today = _today()
    oldest_kept = today - timedelta(days=conf.settings.METERING_RETENTION_DAYS)
    return datetime(oldest_kept.year, oldest_kept.month, oldest_kept.day, tzinfo=UTC)
