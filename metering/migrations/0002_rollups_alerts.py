import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0003_simulated_clock"),
        ("metering", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupCursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(default="usage", max_length=32, unique=True)),
                ("processed_through", models.DateTimeField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="UsageRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("granularity", models.CharField(choices=[("hour", "Hour"), ("day", "Day")], max_length=4)),
                ("bucket_start", models.DateTimeField()),
                ("group_key", models.CharField(blank=True, default="", max_length=255)),
                ("events", models.BigIntegerField(default=0)),
                ("value_sum", models.DecimalField(decimal_places=12, default=0, max_digits=38)),
                ("value_max", models.DecimalField(blank=True, decimal_places=12, max_digits=38, null=True)),
                ("latest_value", models.DecimalField(blank=True, decimal_places=12, max_digits=38, null=True)),
                ("latest_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("account", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billing.account")),
                ("metric", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="metering.billablemetric")),
            ],
            options={
                "abstract": False,
                "indexes": [models.Index(fields=["account", "metric", "granularity", "bucket_start"], name="metering_us_account_0d5b3c_idx")],
                "constraints": [models.UniqueConstraint(fields=("account", "metric", "granularity", "bucket_start", "group_key"), name="usage_rollup_bucket_unique")],
            },
        ),
        migrations.CreateModel(
            name="UsageAlert",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period_start", models.DateTimeField()),
                ("period_end", models.DateTimeField()),
                ("threshold_percent", models.PositiveIntegerField()),
                ("usage", models.DecimalField(decimal_places=12, max_digits=38)),
                ("limit", models.BigIntegerField()),
                ("fired_at", models.DateTimeField()),
                ("dismissed_at", models.DateTimeField(blank=True, help_text="Hidden from the console banner.", null=True)),
                ("account", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billing.account")),
                ("metric", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="metering.billablemetric")),
            ],
            options={
                "ordering": ["-fired_at"],
                "abstract": False,
                "constraints": [models.UniqueConstraint(fields=("account", "metric", "period_start", "threshold_percent"), name="usage_alert_once_per_period")],
            },
        ),
    ]
