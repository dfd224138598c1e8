"""The raw tail's index stays exact: finer BRIN ranges, summarized by the rollup job.

Current usage adds to the rollups the events received after the rollup job's cursor, found through the
BRIN index on `received_at` of each daily partition. A block range BRIN has not summarized yet is read
whole for every such read: after a backlog (late events appended to every partition of the period) each
read rechecked up to 128 blocks of every partition, 20 ms of a 10-million-event period. So the index now
has 16-block ranges, and the rollup job, after each run, summarizes the new ones
(`metering_usage_tail_summarize`, owned by the table owner because only an index's owner may summarize;
`metering.storage.tail_summarize_sql` says which ranges and why).
"""

from django.db import migrations

from metering.storage import EVENTS_TABLE, TAIL_INDEX, tail_index_sql, tail_summarize_sql

OLD_INDEX = f"""
DROP INDEX IF EXISTS {TAIL_INDEX};
CREATE INDEX {TAIL_INDEX} ON {EVENTS_TABLE} USING brin (received_at);
DROP FUNCTION IF EXISTS metering_usage_tail_summarize(date, date);
"""


class Migration(migrations.Migration):
    dependencies = [("metering", "0012_group_keys_bounded")]

    operations = [
        migrations.RunSQL(f"DROP INDEX IF EXISTS {TAIL_INDEX};" + tail_index_sql() + tail_summarize_sql(), OLD_INDEX),
    ]
