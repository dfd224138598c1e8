"""SQL run as the application role cannot widen its row-level-security scope.

The threat: one SQL-injection bug anywhere. Whatever it runs as the application role
(the test connection is that role: tests/conftest.py), it sees no other tenant's row:
the policies trust only a token that `billing_scope_enter` mints for this connection
with RLS_SCOPE_SECRET, which never reaches the database in the clear for SQL to read.
"""

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError

from billing import tenancy
from tests.billing.test_tenancy_rls import build_rows, count, set_raw_scope, tenant_tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_accounts(make_account):
    a, b = make_account("Tenant A"), make_account("Tenant B")
    with tenancy.operator_scope():
        build_rows(a)
        build_rows(b)
    return a, b


def app_role_connection():
    """A second session of the application role, on the test database."""
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"],
                           password=db["PASSWORD"], autocommit=True)


def rows_not_of(cursor, account_id) -> dict[str, int]:
    """Per tenant table, the rows visible now that belong to another account."""
    seen = {}
    for table, column in tenant_tables():
        seen[table] = count(cursor, table, f"{column} IS DISTINCT FROM %s", [account_id])
    return {table: n for table, n in seen.items() if n}


@pytest.mark.parametrize("start_in", ["no scope", "tenant A"])
def test_set_config_of_the_old_settings_opens_no_other_tenants_rows(two_accounts, start_in):
    a, b = two_accounts
    with connection.cursor() as cursor:
        if start_in == "tenant A":
            set_raw_scope(cursor, account_id=a.pk)
        cursor.execute("SELECT set_config('rls.operator', 'on', false)")
        assert rows_not_of(cursor, a.pk) == {}
        cursor.execute("SELECT set_config('rls.operator', '', false), set_config('rls.tenant_id', %s, false)",
                       [str(b.pk)])
        assert rows_not_of(cursor, a.pk) == {}
        set_raw_scope(cursor)


def test_a_forged_or_edited_scope_token_counts_as_no_scope(two_accounts):
    a, b = two_accounts
    with connection.cursor() as cursor:
        set_raw_scope(cursor, account_id=a.pk)
        assert count(cursor, "billing_account") == 1  # A's own token works
        cursor.execute("SELECT current_setting('billing.scope')")
        kind, account, nonce, mac = cursor.fetchone()[0].split(":")
        forgeries = [
            f"{kind}:{b.pk}:{nonce}:{mac}",  # A's token with B's account
            f"o::{nonce}:{mac}",  # A's token turned into the operator's
            f"o::{'0' * 32}:{'0' * 64}",  # made up
            "on",
        ]
        for forged in forgeries:
            cursor.execute("SELECT set_config('billing.scope', %s, false)", [forged])
            assert rows_not_of(cursor, a.pk) == {}, forged
            cursor.execute("SELECT billing_scope_is_operator(), billing_scope_account()")
            assert cursor.fetchone() == (False, None), forged
        set_raw_scope(cursor)


def test_an_operator_token_works_only_on_the_connection_it_was_entered_on(two_accounts):
    a, _ = two_accounts
    with app_role_connection() as other:
        other.execute("SELECT billing_scope_enter(%s, true, NULL)", [settings.RLS_SCOPE_SECRET])
        # The other session cannot see the test's rows (uncommitted), but its scope is the operator's.
        assert other.execute("SELECT billing_scope_is_operator()").fetchone() == (True,)
        token = other.execute("SELECT current_setting('billing.scope')").fetchone()[0]
    with connection.cursor() as cursor:
        set_raw_scope(cursor, account_id=a.pk)
        cursor.execute("SELECT set_config('billing.scope', %s, false)", [token])
        assert rows_not_of(cursor, a.pk) == {}
        set_raw_scope(cursor)


def test_entering_a_scope_without_the_secret_is_refused(two_accounts):
    a, _ = two_accounts
    with connection.cursor() as cursor:
        set_raw_scope(cursor, account_id=a.pk)
        for guess in ("", "guess", settings.RLS_SCOPE_SECRET[:-1], None):
            with pytest.raises(DatabaseError, match="wrong scope secret"), transaction.atomic():
                cursor.execute("SELECT billing_scope_enter(%s, true, NULL)", [guess])
        assert rows_not_of(cursor, a.pk) == {}
        set_raw_scope(cursor)


@pytest.mark.parametrize("statement", [
    "SELECT * FROM billing_private.scope_key",
    "UPDATE billing_private.scope_key SET secret_hash = sha256('mine')",
    "SELECT billing_private.scope_token(true, NULL)",
    "CREATE FUNCTION billing_private.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
])
def test_the_key_and_the_mint_are_out_of_the_application_roles_reach(statement):
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_secret_never_shows_in_the_statements_other_sessions_can_see(make_account):
    account = make_account("Acme")
    with tenancy.tenant_scope(account.pk), tenancy.operator_scope(), app_role_connection() as spy:
        statements = [query for (query,) in spy.execute(
            "SELECT query FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()")]
    assert any("billing_scope_enter" in query for query in statements), statements
    assert not any(settings.RLS_SCOPE_SECRET in query for query in statements), statements


def test_every_tenant_policy_asks_the_verified_scope_once_per_statement():
    with connection.cursor() as cursor:
        # A partition made now gets its policy from the partition function, not from a migration.
        cursor.execute("SELECT metering_usage_partitions_ensure('2031-01-01', '2031-01-01')")
        cursor.execute("SELECT tablename, qual, with_check FROM pg_policies WHERE schemaname = 'public'")
        policies = cursor.fetchall()
    assert "metering_usageevent_p20310101" in {table for table, _, _ in policies}
    for table, qual, with_check in policies:
        for expression in (qual, with_check):
            assert "current_setting" not in expression, f"{table}: {expression}"
            assert "( SELECT billing_scope_is_operator() AS" in expression, f"{table}: {expression}"
            assert "( SELECT billing_scope_account() AS" in expression, f"{table}: {expression}"
