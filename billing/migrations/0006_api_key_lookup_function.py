"""Look up an API key by its prefix before any tenancy scope exists, in one round trip.

The function runs as the table owner (SECURITY DEFINER) and switches `rls.operator` on
for its own query only, putting the caller's value back before it returns (an error
rolls the change back with the statement), so authentication needs no operator scope
of its own and leaks none. (A `SET rls.operator` clause on the function would be
simpler, but PostgreSQL 15 reserves that to superusers for custom settings.)
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_api_key_by_prefix(key_prefix text)
RETURNS SETOF billing_apikey
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public
AS $$
DECLARE
    previous text := coalesce(current_setting('rls.operator', true), '');
BEGIN
    PERFORM set_config('rls.operator', 'on', true);
    RETURN QUERY SELECT * FROM billing_apikey WHERE prefix = key_prefix;
    PERFORM set_config('rls.operator', previous, true);
END
$$;
REVOKE ALL ON FUNCTION billing_api_key_by_prefix(text) FROM PUBLIC;
"""

BACKWARD = "DROP FUNCTION IF EXISTS billing_api_key_by_prefix(text);"


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_credit_ledger_append_only")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
