"""Fewer indexes written per renewal invoice (each is a bill-run insert).

- invoicing_invoice.account_id: its own btree goes; (account_id, status, created_at) starts with it.
- invoicing_invoice.finalize_after: the btree becomes invoice_finalize_due_idx (finalize_after, id)
  WHERE status = 'draft', the finalize-due job's filter and order; invoices written already open
  (a renewal with no grace period) get no entry, drafts lose theirs when finalized.
- invoicing_invoice.number: the LIKE-pattern twin (varchar_pattern_ops) of the unique index goes;
  nothing filters numbers by prefix (the admin search is icontains, which it cannot serve). Django
  always makes it for a unique CharField, so it is dropped in SQL; a later AlterField that changes
  the column's type may make it again.
- invoicing_invoiceline.tax_rate_id: indexed only where not null (for PROTECT on a rate's delete).
- invoicing_billingrecord.subscription_id: its own btree goes; billingrecord_once_per_period
  (subscription_id, kind, period_start) starts with it.
- invoicing_billingrecord.bill_run_id: indexed only where not null (no path sets it today; the
  admin's bill-run inline and SET_NULL on a run's delete still find the rows that have one).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0003_subscription_create_reason'),
    ]

    operations = [
        # Only the indexes go: AlterField would also drop and re-add (re-validate) each foreign key.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='billingrecord',
                    name='bill_run',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='records', to='invoicing.billrun'),
                ),
                migrations.AlterField(
                    model_name='billingrecord',
                    name='subscription',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.subscription'),
                ),
                migrations.AlterField(
                    model_name='invoice',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.account'),
                ),
                migrations.AlterField(
                    model_name='invoiceline',
                    name='tax_rate',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='invoicing.taxrate'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "invoicing_billingrecord_bill_run_id_498fccaf"',
                    reverse_sql='CREATE INDEX "invoicing_billingrecord_bill_run_id_498fccaf" ON "invoicing_billingrecord" ("bill_run_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "invoicing_billingrecord_subscription_id_da186e43"',
                    reverse_sql='CREATE INDEX "invoicing_billingrecord_subscription_id_da186e43" ON "invoicing_billingrecord" ("subscription_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "invoicing_invoice_account_id_20ef40c9"',
                    reverse_sql='CREATE INDEX "invoicing_invoice_account_id_20ef40c9" ON "invoicing_invoice" ("account_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "invoicing_invoiceline_tax_rate_id_e7223eb8"',
                    reverse_sql='CREATE INDEX "invoicing_invoiceline_tax_rate_id_e7223eb8" ON "invoicing_invoiceline" ("tax_rate_id")',
                ),
            ],
        ),
        migrations.AlterField(
            model_name='invoice',
            name='finalize_after',
            field=models.DateTimeField(blank=True, help_text='End of the grace period for late usage; then finalized.', null=True),
        ),
        migrations.AddIndex(
            model_name='billingrecord',
            index=models.Index(condition=models.Q(('bill_run__isnull', False)), fields=['bill_run'], name='billingrecord_bill_run_idx'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(condition=models.Q(('status', 'draft')), fields=['finalize_after', 'id'], name='invoice_finalize_due_idx'),
        ),
        migrations.AddIndex(
            model_name='invoiceline',
            index=models.Index(condition=models.Q(('tax_rate__isnull', False)), fields=['tax_rate'], name='invoiceline_tax_rate_idx'),
        ),
        migrations.RunSQL(
            'DROP INDEX IF EXISTS "invoicing_invoice_number_f35f6ffa_like"',
            reverse_sql='CREATE INDEX "invoicing_invoice_number_f35f6ffa_like" '
                        'ON "invoicing_invoice" ("number" varchar_pattern_ops)',
        ),
    ]
