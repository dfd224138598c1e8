"""billing_outboxevent.account_id loses its btree: three events per renewal invoice wrote it, and
nothing reads events by account (delivery uses outbox_pending_idx; the column has no foreign key
for an account's delete to check).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_lighter_subscription_outbox_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxevent',
            name='account',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='billing.account'),
        ),
    ]
