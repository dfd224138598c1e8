"""Raw usage events (partitioned by day) and idempotency keys, in raw SQL (metering/storage.py)."""

from django.db import migrations

from metering import storage


class Migration(migrations.Migration):

    dependencies = [("metering", "0002_rollups_alerts")]

    operations = [migrations.RunSQL(storage.forward_sql(), storage.reverse_sql())]
