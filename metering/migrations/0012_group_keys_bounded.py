"""Group keys fit the rollup tables' varchar(255) whatever the events carry.

A group key is built from the event's properties (`model=gpt-4|region=eu`). A customer could send a
property value of hundreds of characters; the rollup job's INSERT then failed ("value too long") and
stopped folding for every account. `metering_group_key()` keeps a key of up to 255 characters as it is
and writes a longer one as its first 200 characters, `~` and the md5 of the whole key: still one group
per distinct key, and the same key whichever statement computes it (raw reads, the tail, the rollups,
the bill run all build it through `metering.aggregation.group_sql`).
"""

from django.db import migrations

GROUP_KEY_FUNCTION = """
CREATE OR REPLACE FUNCTION public.metering_group_key(key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN length(key) <= 255 THEN key ELSE left(key, 200) || '~' || md5(key) END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("metering", "0011_usage_reads_from_rollups")]

    # A plain SQL body (not `RETURN ...`), so PostgreSQL inlines it into each statement: no call per event.
    operations = [
        migrations.RunSQL(GROUP_KEY_FUNCTION, "DROP FUNCTION IF EXISTS public.metering_group_key(text);"),
    ]
