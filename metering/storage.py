"""Raw usage storage: SQL for the partitioned event table and the idempotency keys.

`metering_usageevent` is partitioned by event time, one partition per UTC day,
so retention drops whole partitions (no DELETE, no bloat). Partitions are made
on demand by `metering_usage_partitions_ensure(from, to)` and dropped by
`metering_usage_partitions_drop_before(day)`: SECURITY DEFINER functions owned
by the table owner, because only the owner may attach or drop partitions and
the application role is not the owner. Each new partition gets the same tenant
policy as its parent, so reading a partition directly is isolated too.

`metering_usagekey` holds (account_id, idempotency_key) for exactly-once
ingestion: its primary key is what makes a duplicate (even a concurrent one in
another request) count once. It is not partitioned, because a unique key on a
partitioned table must contain the partition column; keys are pruned by age.

Both tables lead with account_id, so on Citus they can be distributed by it
(docs/metering.md).
"""

from billing.rls import tenant_expression, tenant_policy_sql
from metering import values

EVENTS_TABLE = "metering_usageevent"
KEYS_TABLE = "metering_usagekey"
EVENT_COLUMNS = ("account_id", "metric_id", "timestamp", "idempotency_key", "value", "properties")


def create_sql(table: str = EVENTS_TABLE) -> str:
    """The event table; also used by bench/ingest.py for its identical COPY baseline."""
    return f"""
    CREATE TABLE {table} (
        account_id bigint NOT NULL,
        metric_id bigint NOT NULL,
        "timestamp" timestamptz NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        value {values.COLUMN_TYPE},
        properties jsonb NOT NULL DEFAULT '{{}}'::jsonb,
        received_at timestamptz NOT NULL DEFAULT now()
    ) PARTITION BY RANGE ("timestamp");
    CREATE INDEX {table}_account_metric_ts ON {table} (account_id, metric_id, "timestamp");
    """ + tail_index_sql(table)


TAIL_INDEX = f"{EVENTS_TABLE}_received_brin"


def tail_index_sql(table: str = EVENTS_TABLE) -> str:
    """The index current usage finds the events received after the rollup job's cursor with
    (metering/migrations/0013_tail_index_kept_summarized.py says why its ranges are small)."""
    return f"CREATE INDEX {table}_received_brin ON {table} USING brin (received_at) WITH (pages_per_range = 16);"


TAIL_RANGE_BLOCKS = 16


def tail_summarize_sql() -> str:
    """`metering_usage_tail_summarize(since, live_from)`: summarize the tail index's new block ranges in
    every partition of the days from `since` on; returns how many ranges it summarized.

    Partitions of days before `live_from` only take late events: every new range is summarized, the last
    partial one included. Partitions from `live_from` on take the live traffic: only their full ranges
    are, walking back from the last full one until one was summarized already (ranges fill in order). A
    partial range left unsummarized costs nothing to insert into; once summarized, every insert that
    raises its `received_at` maximum would rewrite the summary, a cost ingestion would pay per event.
    (PostgreSQL's own `autosummarize` is not used: at ingestion rates it asks autovacuum for more
    summarizations than its queue holds.)"""
    return f"""
    CREATE OR REPLACE FUNCTION metering_usage_tail_summarize(since_day date, live_from date)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
    DECLARE
        part record;
        summarized integer := 0;
        done integer;
        block bigint;
    BEGIN
        FOR part IN
            SELECT i.inhrelid AS index_oid, x.indrelid AS table_oid, to_date(right(c.relname, 8), 'YYYYMMDD') AS day
            FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid JOIN pg_class c ON c.oid = x.indrelid
            WHERE i.inhparent = '{TAIL_INDEX}'::regclass AND c.relname ~ '_p[0-9]{{8}}$'
              AND to_date(right(c.relname, 8), 'YYYYMMDD') >= since_day
        LOOP
            IF part.day < live_from THEN
                summarized := summarized + brin_summarize_new_values(part.index_oid::regclass);
            ELSE
                block := (pg_relation_size(part.table_oid) / current_setting('block_size')::bigint
                          / {TAIL_RANGE_BLOCKS}) * {TAIL_RANGE_BLOCKS} - {TAIL_RANGE_BLOCKS};
                WHILE block >= 0 LOOP
                    done := brin_summarize_range(part.index_oid::regclass, block);
                    EXIT WHEN done = 0;
                    summarized := summarized + done;
                    block := block - {TAIL_RANGE_BLOCKS};
                END LOOP;
            END IF;
        END LOOP;
        RETURN summarized;
    END $$;
    """  # noqa: S608


def partition_functions_sql() -> str:
    expression = tenant_expression().replace("'", "''")
    return f"""
    CREATE OR REPLACE FUNCTION metering_usage_partitions_ensure(from_day date, to_day date)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        day date := from_day;
        part text;
        created integer := 0;
    BEGIN
        IF to_day - from_day > 400 THEN
            RAISE EXCEPTION 'refusing to create more than 400 partitions at once';
        END IF;
        WHILE day <= to_day LOOP
            part := '{EVENTS_TABLE}_p' || to_char(day, 'YYYYMMDD');
            IF to_regclass(part) IS NULL THEN
                -- Two sessions may find the same day missing: the lock makes one wait, and taking a
                -- table lock (unlike an advisory lock) refreshes the catalog, so it then sees the table.
                LOCK TABLE {EVENTS_TABLE} IN SHARE UPDATE EXCLUSIVE MODE;
                IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF {EVENTS_TABLE} FOR VALUES FROM (%L) TO (%L)',
                                   part, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
                    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
                    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
                    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING ({expression}) WITH CHECK ({expression})', part);
                    created := created + 1;
                END IF;
            END IF;
            day := day + 1;
        END LOOP;
        RETURN created;
    END $$;

    CREATE OR REPLACE FUNCTION metering_usage_partitions_drop_before(before_day date)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        part record;
        dropped integer := 0;
    BEGIN
        LOCK TABLE {EVENTS_TABLE} IN SHARE UPDATE EXCLUSIVE MODE;
        FOR part IN
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '{EVENTS_TABLE}'::regclass AND c.relname ~ '_p[0-9]{{8}}$'
        LOOP
            IF to_date(right(part.relname, 8), 'YYYYMMDD') < before_day THEN
                EXECUTE format('DROP TABLE %I', part.relname);
                dropped := dropped + 1;
            END IF;
        END LOOP;
        RETURN dropped;
    END $$;

    CREATE OR REPLACE FUNCTION metering_usage_partitions()
    RETURNS TABLE(day date) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT to_date(right(c.relname, 8), 'YYYYMMDD') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = '{EVENTS_TABLE}'::regclass AND c.relname ~ '_p[0-9]{{8}}$' ORDER BY 1
    $$;
    """  # noqa: S608


def forward_sql() -> str:
    return (
        create_sql()
        + tenant_policy_sql(EVENTS_TABLE)
        + f"""
    CREATE TABLE {KEYS_TABLE} (
        account_id bigint NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, idempotency_key)
    );
    CREATE INDEX {KEYS_TABLE}_received_brin ON {KEYS_TABLE} USING brin (received_at);
    """
        + tenant_policy_sql(KEYS_TABLE)
        + partition_functions_sql()
    )


# Keys are opaque: compared byte by byte ("C"), not by the database's locale. The primary key's
# comparisons and the claim's sort then skip the locale's collation routines (about 11% less CPU
# per claimed key than under C.UTF-8; more under locales such as en_US).
KEYS_COLLATE_C_SQL = f'''ALTER TABLE {KEYS_TABLE} ALTER COLUMN idempotency_key TYPE varchar(255) COLLATE "C"'''
KEYS_COLLATE_DEFAULT_SQL = f'''ALTER TABLE {KEYS_TABLE} ALTER COLUMN idempotency_key TYPE varchar(255) COLLATE "default"'''


def value_type_sql() -> str:
    """The value column as `metering.values` defines a usage value (it was unbounded `numeric`).

    Rewrites every partition. A value stored before the bounds existed that lies outside them
    stops the migration with a count and what to do, rather than being changed silently.
    """
    limit = values.LIMIT
    return f"""
    DO $$
    DECLARE outside bigint;
    BEGIN
        PERFORM set_config('rls.operator', 'on', true);  -- the owner is subject to the tenant policy too
        SELECT count(*) INTO outside FROM {EVENTS_TABLE} WHERE abs(value) >= {limit} OR scale(value) > {values.DECIMAL_PLACES};
        IF outside > 0 THEN
            RAISE EXCEPTION '% stored usage events have a value of {limit} or more (or more than {values.DECIMAL_PLACES} decimals), '
                'which the value column can no longer hold', outside
                USING HINT = 'Review them (SELECT ... FROM {EVENTS_TABLE} WHERE abs(value) >= {limit}), delete or '
                             'correct them (as the owner, with rls.operator = on), and migrate again.';
        END IF;
    END $$;
    ALTER TABLE {EVENTS_TABLE} ALTER COLUMN value TYPE {values.COLUMN_TYPE};
    """  # noqa: S608


VALUE_TYPE_REVERSE_SQL = f"ALTER TABLE {EVENTS_TABLE} ALTER COLUMN value TYPE numeric"


def reverse_sql() -> str:
    return f"""
    DROP FUNCTION IF EXISTS metering_usage_partitions();
    DROP FUNCTION IF EXISTS metering_usage_partitions_drop_before(date);
    DROP FUNCTION IF EXISTS metering_usage_partitions_ensure(date, date);
    DROP TABLE IF EXISTS {KEYS_TABLE};
    DROP TABLE IF EXISTS {EVENTS_TABLE};
    """
