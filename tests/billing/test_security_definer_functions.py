"""The SECURITY DEFINER functions run as the table owner: the application role must not be able
to steer them to relations or functions of its own (a temporary table or view named like ours),
or it could run code as the owner (drop the audit trigger, turn row-level security off)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def security_definer_functions() -> list[tuple[str, list[str] | None]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc "
            "WHERE pronamespace = 'public'::regnamespace AND prosecdef ORDER BY proname"
        )
        return cursor.fetchall()


def test_every_security_definer_function_searches_the_temporary_schema_last():
    functions = security_definer_functions()
    assert functions, "expected the API key lookup and the usage partition functions"
    for name, config in functions:
        paths = [c.split("=", 1)[1] for c in (config or []) if c.startswith("search_path=")]
        assert paths, f"{name}: no search_path of its own"
        schemas = [s.strip() for s in paths[0].split(",")]
        assert schemas[-1] == "pg_temp", f"{name}: pg_temp must be listed last (else it is searched first)"


def test_a_temporary_table_cannot_stand_in_for_the_api_keys():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE billing_apikey (LIKE public.billing_apikey) ON COMMIT DROP")
        cursor.execute(
            "INSERT INTO pg_temp.billing_apikey (id, name, prefix, key_hash, scopes, created_at) "
            "VALUES (-1, 'forged', 'forged00', 'x', '{admin}', now())"
        )
        cursor.execute("SELECT count(*) FROM billing_api_key_by_prefix('forged00')")
        assert cursor.fetchone()[0] == 0


def test_the_api_key_lookup_runs_none_of_the_callers_code_as_the_owner():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE seen (who text) ON COMMIT DROP")
        cursor.execute("GRANT ALL ON pg_temp.seen TO PUBLIC")
        cursor.execute(
            "CREATE FUNCTION pg_temp.spy() RETURNS text LANGUAGE sql VOLATILE AS "
            "$$ INSERT INTO pg_temp.seen VALUES (current_user) RETURNING 'spy00000'::text $$"
        )
        cursor.execute(
            "CREATE TEMPORARY VIEW billing_apikey AS SELECT k.id, k.name, pg_temp.spy()::varchar(16) AS prefix, "
            "k.key_hash, k.scopes, k.created_at, k.last_used_at, k.revoked_at, k.account_id, k.created_by_id "
            "FROM (SELECT (NULL::public.billing_apikey).*) k"
        )
        cursor.execute("SELECT count(*) FROM billing_api_key_by_prefix('spy00000')")
        cursor.execute("SELECT count(*) FROM pg_temp.seen")
        assert cursor.fetchone()[0] == 0, "the caller's function ran inside the SECURITY DEFINER lookup"
