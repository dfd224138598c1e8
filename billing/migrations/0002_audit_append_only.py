"""The database itself refuses to change or remove an audit entry, whoever asks."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'billing_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_auditentry_append_only
    BEFORE UPDATE OR DELETE ON billing_auditentry
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_audit_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_auditentry_append_only ON billing_auditentry;
DROP FUNCTION IF EXISTS billing_refuse_audit_change();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
