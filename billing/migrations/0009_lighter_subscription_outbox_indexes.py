"""Fewer indexes written per bill-run invoice.

- billing_subscription.status loses its own btree and its LIKE-pattern twin: lookups by status
  use subscription_due_idx (status, current_period_end), and every period advance, a non-HOT
  update, wrote both.
- billing_outboxevent.type keeps a btree but loses the LIKE-pattern index nothing uses.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_api_key_lookup_active_accounts'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxevent',
            name='type',
            field=models.CharField(max_length=100),
        ),
        migrations.AlterField(
            model_name='subscription',
            name='status',
            field=models.CharField(choices=[('trialing', 'Trialing'), ('active', 'Active'), ('past_due', 'Past due'), ('paused', 'Paused'), ('canceled', 'Canceled'), ('incomplete', 'Incomplete'), ('incomplete_expired', 'Incomplete, expired')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='outboxevent',
            index=models.Index(fields=['type'], name='outbox_type_idx'),
        ),
    ]
