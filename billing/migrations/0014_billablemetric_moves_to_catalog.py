"""The billable metric's definition moves from metering to the catalog (docs/architecture.md, "Layers").

Plan charges, limits and subscription overrides point at a metric, and billing sits below metering:
so the model is billing's now. No data moves: the table keeps its name (`metering_billablemetric`)
and the foreign keys their constraints; only Django's state changes, in this migration and in
metering's 0010. The content type row moves with the model, so its permissions, the finance
groups that hold them and the admin's log entries stay attached.
"""

import django.db.models.deletion
from django.db import migrations, models


def content_type_to_billing(apps, schema_editor):
    _content_type_move(apps, schema_editor, "metering", "billing")


def content_type_to_metering(apps, schema_editor):
    _content_type_move(apps, schema_editor, "billing", "metering")


def _content_type_move(apps, schema_editor, from_app, to_app):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    # A new database has neither row yet (post_migrate makes them); one that has both keeps the target's.
    if not content_types.filter(app_label=to_app, model="billablemetric").exists():
        content_types.filter(app_label=from_app, model="billablemetric").update(app_label=to_app)


METRIC = models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billing.billablemetric")


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0013_signin_throttle"),
        ("metering", "0009_usage_value_numeric_26_12"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BillableMetric",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(help_text="Used by usage events, e.g. api_calls.", max_length=64, unique=True)),
                        ("name", models.CharField(max_length=200)),
                        ("description", models.TextField(blank=True)),
                        ("unit", models.CharField(default="unit", help_text="e.g. call, GB, token.", max_length=32)),
                        ("aggregation", models.CharField(choices=[("count", "Count of events"), ("sum", "Sum of a value"), ("max", "Maximum value"), ("unique_count", "Distinct values of a property"), ("latest", "Last value in the period"), ("weighted_sum", "Time-weighted sum (gauges)")], default="count", max_length=16)),
                        ("field_name", models.CharField(blank=True, help_text="Property aggregated by sum/max/unique_count/latest/weighted_sum; blank = the event's value.", max_length=64)),
                        ("filters", models.JSONField(blank=True, default=dict, help_text='Only events whose properties match, e.g. {"region": ["eu"]}.')),
                        ("group_by", models.JSONField(blank=True, default=list, help_text='Properties usage is grouped by, e.g. ["model"].')),
                        ("is_active", models.BooleanField(default=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "metering_billablemetric",
                        "ordering": ["code"],
                    },
                ),
                migrations.AlterField(model_name="plancharge", name="metric", field=METRIC),
                migrations.AlterField(model_name="planlimit", name="metric", field=METRIC),
                migrations.AlterField(model_name="subscriptionmetricoverride", name="metric", field=METRIC),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_billing, content_type_to_metering),
    ]
