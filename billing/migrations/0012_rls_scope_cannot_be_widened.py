"""Row-level security trusts only a scope entered through `billing_scope_enter` (billing/rls.py).

The policies read `rls.operator` and `rls.tenant_id`, which the application role could
set to anything with `set_config()`. From here they call `billing_scope_is_operator()`
and `billing_scope_account()`, which honour only a token minted, for this connection, by
`billing_scope_enter(secret, ...)`. This migration creates those functions, re-creates
every tenant policy (model tables, the raw usage tables and each of their partitions),
the usage partition function that gives new partitions their policy, and the API key
lookup, which entered the operator scope through `rls.operator`.

Not reversible to the old policies on purpose: going back to 0010 keeps these.
"""

from django.db import migrations

from billing import rls
from metering import storage

API_KEY_LOOKUP = """
CREATE OR REPLACE FUNCTION billing_api_key_by_prefix(key_prefix text)
RETURNS SETOF public.billing_apikey
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    previous text := coalesce(current_setting('billing.scope', true), '');
BEGIN
    -- The operator scope for this query only, as the owner (the mint is the owner's alone);
    -- the caller's scope is put back before returning (an error rolls it back with the statement).
    PERFORM set_config('billing.scope', billing_private.scope_token(true, NULL), true);
    RETURN QUERY SELECT k.* FROM public.billing_apikey k LEFT JOIN public.billing_account a ON a.id = k.account_id
        WHERE k.prefix = key_prefix AND (k.account_id IS NULL OR a.is_active);
    PERFORM set_config('billing.scope', previous, true);
END
$$;
REVOKE ALL ON FUNCTION billing_api_key_by_prefix(text) FROM PUBLIC;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0011_api_key_mint_admin_keys_permission"),
        # The usage partition function and the raw usage tables must exist to be redone here.
        ("metering", "0009_usage_value_numeric_26_12"),
    ]

    operations = [
        migrations.RunSQL(
            rls.scope_functions_sql() + API_KEY_LOOKUP + storage.partition_functions_sql()
            + rls.refresh_policies_sql(),
            migrations.RunSQL.noop,
        ),
    ]
