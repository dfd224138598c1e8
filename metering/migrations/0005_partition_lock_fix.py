"""Partition functions serialize on a table lock (which refreshes the catalog) instead of an advisory lock."""

from django.db import migrations

from metering import storage


class Migration(migrations.Migration):

    dependencies = [("metering", "0004_usagealert_emailed_at")]

    operations = [migrations.RunSQL(storage.partition_functions_sql(), migrations.RunSQL.noop)]
