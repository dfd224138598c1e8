"""The billable metric's definition is billing's now (billing 0014): metering's foreign keys point
there, and metering's state forgets the model. State only: the table and its rows stay as they are."""

import django.db.models.deletion
from django.db import migrations, models

METRIC = models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billing.billablemetric")


class Migration(migrations.Migration):

    dependencies = [
        ("metering", "0009_usage_value_numeric_26_12"),
        ("billing", "0014_billablemetric_moves_to_catalog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="usagerollup", name="metric", field=METRIC),
                migrations.AlterField(model_name="usagealert", name="metric", field=METRIC),
                migrations.AlterField(model_name="usagecorrection", name="metric", field=METRIC),
                migrations.DeleteModel(name="BillableMetric"),
            ],
            database_operations=[],
        ),
    ]
