"""The API key lookup finds no key of a deactivated account (operator keys have none).

A deactivated account already drops out of the console (memberships of inactive
accounts are ignored); its API keys kept working. Filtering here costs no round trip.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_api_key_by_prefix(key_prefix text)
RETURNS SETOF public.billing_apikey
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    previous text := coalesce(current_setting('rls.operator', true), '');
BEGIN
    PERFORM set_config('rls.operator', 'on', true);
    RETURN QUERY {query};
    PERFORM set_config('rls.operator', previous, true);
END
$$;
REVOKE ALL ON FUNCTION billing_api_key_by_prefix(text) FROM PUBLIC;
"""

FORWARD = FUNCTION.format(query=(
    "SELECT k.* FROM public.billing_apikey k LEFT JOIN public.billing_account a ON a.id = k.account_id "
    "WHERE k.prefix = key_prefix AND (k.account_id IS NULL OR a.is_active)"
))
BACKWARD = FUNCTION.format(query="SELECT * FROM public.billing_apikey WHERE prefix = key_prefix")


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_api_key_lookup_search_path")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
