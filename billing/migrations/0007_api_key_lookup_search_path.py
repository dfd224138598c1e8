"""The API key lookup (0006) named its table through `search_path = public` only.

PostgreSQL then searches the caller's temporary schema *first* for relations, so the
application role could put a temporary table or view called `billing_apikey` in front
of ours and have the function, running as the table owner, read it or call the
caller's own functions as the owner. The table is now schema-qualified and pg_temp is
listed last, as PostgreSQL's documentation on SECURITY DEFINER functions advises.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_api_key_by_prefix(key_prefix text)
RETURNS SETOF public.billing_apikey
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {search_path}
AS $$
DECLARE
    previous text := coalesce(current_setting('rls.operator', true), '');
BEGIN
    PERFORM set_config('rls.operator', 'on', true);
    RETURN QUERY SELECT * FROM {table} WHERE prefix = key_prefix;
    PERFORM set_config('rls.operator', previous, true);
END
$$;
REVOKE ALL ON FUNCTION billing_api_key_by_prefix(text) FROM PUBLIC;
"""

FORWARD = FUNCTION.format(search_path="public, pg_temp", table="public.billing_apikey")
BACKWARD = FUNCTION.format(search_path="public", table="billing_apikey")


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_api_key_lookup_function")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
