"""The credit ledger is append-only: corrections are new entries, never edits."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_refuse_credit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'billing_creditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_creditentry_append_only
    BEFORE UPDATE OR DELETE ON billing_creditentry
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_credit_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_creditentry_append_only ON billing_creditentry;
DROP FUNCTION IF EXISTS billing_refuse_credit_change();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_catalog_customers_subscriptions")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
