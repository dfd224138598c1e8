"""The stored usage value as `metering.values` defines it: numeric(26, 12) instead of unbounded numeric."""

from django.db import migrations

from metering import storage


class Migration(migrations.Migration):

    dependencies = [("metering", "0008_usage_corrections")]

    operations = [migrations.RunSQL(storage.value_type_sql(), storage.VALUE_TYPE_REVERSE_SQL)]
