from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("metering", "0003_raw_usage_storage")]

    operations = [
        migrations.AddField(
            model_name="usagealert",
            name="emailed_at",
            field=models.DateTimeField(blank=True, help_text="When the billing contacts were emailed.", null=True),
        ),
    ]
