"""Row-level security: the one policy every tenant table carries, the scope it trusts, and the grants.

The policy lets a row through when the connection's verified scope is the operator
or the row's account:

    (SELECT public.billing_scope_is_operator()) OR account_id = (SELECT public.billing_scope_account())

Each call sits in a scalar subquery, so PostgreSQL evaluates it once per statement
(an InitPlan), not once per row: the ingestion path writes ~100,000 rows/s.

Why the scope cannot be widened by the application role (docs/security.md): the
scope lives in the session setting `billing.scope` as a token
`<o|t>:<account>:<nonce>:<mac>`, where mac = HMAC-SHA256(key, pid:<o|t>:<account>:<nonce>).
Only `billing_scope_enter(secret, operator, account_id)` mints one, after checking
`secret` (RLS_SCOPE_SECRET, known to the Django processes only) against its
SHA-256 kept in `billing_private.scope_key`. That schema belongs to the owner role
and the application role has no access to it, so it can neither read the HMAC key
nor mint a token: a `set_config()` of its own (the old `rls.operator` and
`rls.tenant_id`, or a forged `billing.scope`) verifies as no scope at all. The
backend's pid inside the MAC keeps a token from serving on any other connection.

After each `migrate` on the owner connection we (re)create the policies of every
RLSModel through django-rls's schema editor, install the scope secret's hash and
grant the application role what it needs. Tables that django-rls cannot describe
(partitioned tables made in raw SQL) call `tenant_policy_sql()` from their own
migrations.
"""

import hashlib

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django_rls.models import RLSModel
from django_rls.policies import CustomPolicy

SCOPE_SETTING = "billing.scope"
OPERATOR_SQL = "(SELECT public.billing_scope_is_operator())"
TENANT_SQL = "(SELECT public.billing_scope_account())"
POLICY_NAME = "tenant_isolation"
APPEND_ONLY_TABLES = ("billing_auditentry",)


def scope_secret() -> str:
    """RLS_SCOPE_SECRET, or one derived from SECRET_KEY (config/settings/security.py)."""
    return settings.RLS_SCOPE_SECRET


def scope_secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def tenant_expression(column: str = "account_id") -> str:
    return f"{OPERATOR_SQL} OR {column} = {TENANT_SQL}"


def tenant_policy(column: str = "account_id") -> CustomPolicy:
    return CustomPolicy(POLICY_NAME, expression=tenant_expression(column))


# The HMAC in SQL: PostgreSQL has sha256() built in; the key is stored already XORed with the
# two pads (ipad 0x36, opad 0x5c), as HMAC implementations precompute it. No pgcrypto needed.
_MAC_SQL = ("encode(pg_catalog.sha256(k.outer_key || pg_catalog.sha256(k.inner_key || "
            "pg_catalog.convert_to(pg_catalog.pg_backend_pid()::text || ':' || {body}, 'UTF8'))), 'hex')")


def _verified_sql(kind: str) -> str:
    """PL/pgSQL statements: `valid` becomes true when `token` is a valid token of this kind."""
    mac = _MAC_SQL.format(body="left(token, -65)")
    return f"""
    IF token IS NOT NULL AND left(token, 2) = '{kind}:' AND length(token) > 66 THEN
        SELECT {mac} = right(token, 64) INTO valid FROM billing_private.scope_key k;
    END IF;
    """  # noqa: S608 (constants only)


def scope_functions_sql() -> str:
    """The scope's schema, key and functions; idempotent (every statement may run again).

    Each function runs with `jit = off`: a policy calls them in every statement, and their inner
    SELECT, planned once per session, would be JIT-compiled on every call (about 30 ms) if its first
    plan was made while the session's planner settings made it look expensive (the rollup read turns
    sequential scans off for one statement: the one-row key table then costs more than jit_above_cost).

    `tenant_policy_sql()` carries it too, so a policy made by any app's migration finds
    the functions even on a new database where billing's own migration has not run yet.
    """
    mint = _MAC_SQL.format(body="body")
    return f"""
    CREATE SCHEMA IF NOT EXISTS billing_private;
    REVOKE ALL ON SCHEMA billing_private FROM PUBLIC;
    CREATE TABLE IF NOT EXISTS billing_private.scope_key (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        secret_hash bytea,
        inner_key bytea NOT NULL,
        outer_key bytea NOT NULL
    );
    REVOKE ALL ON billing_private.scope_key FROM PUBLIC;
    DO $key$
    DECLARE
        k bytea;
        inner_key bytea;
        outer_key bytea;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM billing_private.scope_key) THEN
            -- 64 random bytes (the block size of SHA-256) from four v4 UUIDs (pg_strong_random).
            k := sha512(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
                        || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));
            inner_key := k;
            outer_key := k;
            FOR n IN 0..63 LOOP
                inner_key := set_byte(inner_key, n, get_byte(k, n) # 54);
                outer_key := set_byte(outer_key, n, get_byte(k, n) # 92);
            END LOOP;
            INSERT INTO billing_private.scope_key (inner_key, outer_key) VALUES (inner_key, outer_key);
        END IF;
    END $key$;

    -- Owner-only: mints the token for this backend. Called by the two SECURITY DEFINER
    -- functions below (and the API key lookup), never by the application role.
    CREATE OR REPLACE FUNCTION billing_private.scope_token(operator boolean, account_id bigint)
    RETURNS text LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    DECLARE
        body text := CASE WHEN operator THEN 'o:' ELSE 't:' || account_id::text END
                     || ':' || replace(gen_random_uuid()::text, '-', '');
    BEGIN
        IF NOT operator AND account_id IS NULL THEN
            RAISE EXCEPTION 'a tenant scope needs an account id';
        END IF;
        RETURN body || ':' || (SELECT {mint} FROM billing_private.scope_key k);
    END $$;
    REVOKE ALL ON FUNCTION billing_private.scope_token(boolean, bigint) FROM PUBLIC;

    CREATE OR REPLACE FUNCTION public.billing_scope_enter(secret text, operator boolean, account_id bigint)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    DECLARE
        expected bytea := (SELECT secret_hash FROM billing_private.scope_key);
    BEGIN
        IF expected IS NULL OR sha256(convert_to(coalesce(secret, ''), 'UTF8')) <> expected THEN
            RAISE EXCEPTION 'billing_scope_enter: wrong scope secret'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'RLS_SCOPE_SECRET differs from the one installed by the last migrate '
                             '(manage.py migrate --database owner installs it).';
        END IF;
        IF coalesce(operator, false) OR account_id IS NOT NULL THEN
            PERFORM set_config('{SCOPE_SETTING}', billing_private.scope_token(coalesce(operator, false), account_id),
                               false);
        ELSE
            PERFORM set_config('{SCOPE_SETTING}', '', false);
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION public.billing_scope_is_operator()
    RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    DECLARE
        token text := current_setting('{SCOPE_SETTING}', true);
        valid boolean;
    BEGIN
        {_verified_sql("o")}
        RETURN coalesce(valid, false);
    END $$;

    CREATE OR REPLACE FUNCTION public.billing_scope_account()
    RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    DECLARE
        token text := current_setting('{SCOPE_SETTING}', true);
        valid boolean;
    BEGIN
        {_verified_sql("t")}
        IF valid THEN
            RETURN split_part(token, ':', 2)::bigint;
        END IF;
        RETURN NULL;
    END $$;
    """  # noqa: S608 (constants only)


def tenant_policy_sql(table: str, column: str = "account_id") -> str:
    """Raw SQL for a table created outside the ORM (e.g. a partitioned parent)."""
    expr = tenant_expression(column)
    return scope_functions_sql() + (
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY;'
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY;'
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}";'
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({expr}) WITH CHECK ({expr});'
    )


def refresh_policies_sql() -> str:
    """Re-create every `tenant_isolation` policy in the schema (model tables, raw tables and each
    partition) with the current expression: for a migration that changes the expression."""
    account_expr = tenant_expression("id").replace("'", "''")
    row_expr = tenant_expression().replace("'", "''")
    return f"""
    DO $refresh$
    DECLARE
        policy record;
        expr text;
    BEGIN
        FOR policy IN
            SELECT p.tablename,
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = format('public.%I', p.tablename)::regclass
                           AND a.attname = 'account_id' AND NOT a.attisdropped) AS has_account_id
            FROM pg_policies p WHERE p.schemaname = 'public' AND p.policyname = '{POLICY_NAME}'
        LOOP
            IF policy.has_account_id THEN
                expr := '{row_expr}';
            ELSIF policy.tablename = 'billing_account' THEN
                expr := '{account_expr}';
            ELSE
                RAISE EXCEPTION 'table % has a tenant policy but no account_id column', policy.tablename;
            END IF;
            EXECUTE format('DROP POLICY {POLICY_NAME} ON public.%I', policy.tablename);
            EXECUTE format('CREATE POLICY {POLICY_NAME} ON public.%I USING (%s) WITH CHECK (%s)',
                           policy.tablename, expr, expr);
        END LOOP;
    END $refresh$;
    """  # noqa: S608 (constants only)


def apply_policies(using: str) -> None:
    connection = connections[using]
    with transaction.atomic(using=using), connection.schema_editor() as editor:
        for model in apps.get_models():
            if not issubclass(model, RLSModel) or not model._rls_policies:
                continue
            editor.enable_rls(model)
            editor.force_rls(model)
            for policy in model._rls_policies:
                editor.drop_policy(model, policy.name)
                editor.create_policy(model, policy)


def install_scope_secret(using: str) -> None:
    """Store the hash of this process's RLS_SCOPE_SECRET, which `billing_scope_enter` checks.

    Run after every migrate (as the owner), so a new database, the test database and a
    rotated secret all get it without a step of their own. The HMAC key stays as it is:
    scopes entered by running processes remain valid.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(scope_functions_sql())
        cursor.execute("UPDATE billing_private.scope_key SET secret_hash = %s",
                       [scope_secret_hash(scope_secret())])


def grant_app_role(using: str) -> None:
    app_role = settings.DATABASE_APP_ROLE
    owner_role = connections[using].settings_dict["USER"]
    if not app_role or app_role == owner_role:
        return
    role = connections[using].ops.quote_name(app_role)
    with connections[using].cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}")
        # The scope's key and mint stay the owner's (see the module docstring).
        cursor.execute(f"REVOKE ALL ON SCHEMA billing_private FROM {role}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM {role}')
        if getattr(settings, "TESTING", False):
            # pytest-django empties tables between transactional tests with TRUNCATE.
            cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
