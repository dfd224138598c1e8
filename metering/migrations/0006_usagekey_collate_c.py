"""Idempotency keys compared byte by byte (COLLATE "C"): the key claim no longer pays for the locale."""

from django.db import migrations

from metering import storage


class Migration(migrations.Migration):

    dependencies = [("metering", "0005_partition_lock_fix")]

    operations = [migrations.RunSQL(storage.KEYS_COLLATE_C_SQL, storage.KEYS_COLLATE_DEFAULT_SQL)]
