"""An invoice line's account is checked through its invoice: one foreign key, not two.

invoicing_invoiceline had a foreign key on invoice_id and another on account_id, both checked for
each of the ~5 lines a renewal invoice writes. A line's account is its invoice's account, so the
two become one composite key (invoice_id, account_id) -> invoicing_invoice (id, account_id): the
line's invoice exists, its account is the invoice's, and that account exists through the
invoice's own key to billing_account. Stricter than before (a line cannot name another account)
for one check per line. It needs a unique constraint on invoicing_invoice (id, account_id): one
more index entry per invoice, against five fewer checks. Django keeps both fields, with
db_constraint=False; on_delete (CASCADE, PROTECT) is applied by Django as before.
"""

import django.db.models.deletion
from django.db import migrations, models

LINE = '"invoicing_invoiceline"'
OLD_INVOICE_FK = '"invoicing_invoicelin_invoice_id_76c97100_fk_invoicing"'
OLD_ACCOUNT_FK = '"invoicing_invoiceline_account_id_c25d3d41_fk_billing_account_id"'
COMPOSITE_FK = '"invoiceline_invoice_account_fk"'


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_lighter_subscription_outbox_indexes'),
        ('invoicing', '0004_lighter_renewal_indexes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(fields=('id', 'account'), name='invoice_id_account_key'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='invoiceline',
                    name='account',
                    field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.account'),
                ),
                migrations.AlterField(
                    model_name='invoiceline',
                    name='invoice',
                    field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='invoicing.invoice'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'ALTER TABLE {LINE} DROP CONSTRAINT {OLD_INVOICE_FK}, DROP CONSTRAINT {OLD_ACCOUNT_FK}, '
                    f'ADD CONSTRAINT {COMPOSITE_FK} FOREIGN KEY ("invoice_id", "account_id") '
                    f'REFERENCES "invoicing_invoice" ("id", "account_id") DEFERRABLE INITIALLY DEFERRED',
                    reverse_sql=f'ALTER TABLE {LINE} DROP CONSTRAINT {COMPOSITE_FK}, '
                                f'ADD CONSTRAINT {OLD_INVOICE_FK} FOREIGN KEY ("invoice_id") '
                                f'REFERENCES "invoicing_invoice" ("id") DEFERRABLE INITIALLY DEFERRED, '
                                f'ADD CONSTRAINT {OLD_ACCOUNT_FK} FOREIGN KEY ("account_id") '
                                f'REFERENCES "billing_account" ("id") DEFERRABLE INITIALLY DEFERRED',
                ),
            ],
        ),
    ]
