"""Tenant isolation proven with raw SQL as the application role.

Tables are discovered from the catalog (every table with an `account_id` column,
plus the account table itself), so a new tenant table without a policy, or
without rows in its app's `tests/<app>/tenant_rows.py`, fails here.
"""

import importlib
import json
import pkgutil
import re

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError

import tests
from billing import tenancy

pytestmark = pytest.mark.django_db


def tenant_tables() -> list[tuple[str, str]]:
    """(table, tenant column) for every table the application role can read."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, a.attname
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p')
              AND (a.attname = 'account_id' OR (c.relname = 'billing_account' AND a.attname = 'id'))
              AND has_table_privilege(current_user, c.oid, 'SELECT')
            ORDER BY c.relname
            """
        )
        return cursor.fetchall()


def build_rows(account):
    for module_info in pkgutil.iter_modules(tests.__path__):
        try:
            module = importlib.import_module(f"tests.{module_info.name}.tenant_rows")
        except ModuleNotFoundError:
            continue
        module.build(account)


@pytest.fixture
def two_accounts(make_account):
    a, b = make_account("Tenant A"), make_account("Tenant B")
    with tenancy.operator_scope():
        build_rows(a)
        build_rows(b)
    return a, b


def set_raw_scope(cursor, account_id=None, operator=False):
    """Enter a scope the way trusted code does: through the database function, with the secret."""
    cursor.execute("SELECT billing_scope_enter(%s, %s, %s)", [settings.RLS_SCOPE_SECRET, operator, account_id])


def count(cursor, table, where="true", params=()):
    cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', params)
    return cursor.fetchone()[0]


def test_the_test_runs_as_the_application_role_without_bypassrls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
    assert user == settings.DATABASE_APP_ROLE
    assert not superuser and not bypass


def test_every_tenant_table_forces_row_level_security_with_a_policy():
    tables = tenant_tables()
    assert len(tables) >= 5
    with connection.cursor() as cursor:
        for table, _ in tables:
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity, "
                "(SELECT count(*) FROM pg_policies WHERE tablename = relname) FROM pg_class WHERE relname = %s",
                [table],
            )
            enabled, forced, policies = cursor.fetchone()
            assert enabled, f"{table}: row level security is not enabled"
            assert forced, f"{table}: row level security is not forced"
            assert policies >= 1, f"{table}: no policy"


def test_account_a_sees_none_of_account_b_rows_in_any_tenant_table(two_accounts):
    a, b = two_accounts
    with connection.cursor() as cursor:
        for table, column in tenant_tables():
            set_raw_scope(cursor, operator=True)
            assert count(cursor, table, f"{column} = %s", [b.pk]) > 0, (
                f"{table} has no rows for the test: add them in tests/<app>/tenant_rows.py"
            )
            set_raw_scope(cursor, account_id=a.pk)
            assert count(cursor, table, f"{column} = %s", [a.pk]) > 0, f"{table}: A cannot see its own rows"
            assert count(cursor, table, f"{column} IS DISTINCT FROM %s", [a.pk]) == 0, f"{table}: A sees others' rows"
        set_raw_scope(cursor)


def test_no_scope_sees_no_rows_at_all(two_accounts):
    with connection.cursor() as cursor:
        set_raw_scope(cursor)
        for table, _ in tenant_tables():
            assert count(cursor, table) == 0, f"{table}: rows visible without a scope"


def test_inserting_a_row_for_another_account_is_refused(two_accounts):
    a, b = two_accounts
    with connection.cursor() as cursor:
        for table, column in tenant_tables():
            set_raw_scope(cursor, operator=True)
            cursor.execute(f'SELECT to_jsonb(t) FROM "{table}" t WHERE {column} = %s LIMIT 1', [b.pk])
            row = cursor.fetchone()[0]
            set_raw_scope(cursor, account_id=a.pk)
            with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
                cursor.execute(
                    f'INSERT INTO "{table}" SELECT * FROM jsonb_populate_record(NULL::"{table}", %s::jsonb)',
                    [row if isinstance(row, str) else json.dumps(row)],
                )
        set_raw_scope(cursor)


def test_orm_reads_follow_the_scope(two_accounts):
    from billing.models import Account, ApiKey

    a, b = two_accounts
    assert Account.objects.count() == 0
    with tenancy.tenant_scope(a.pk):
        assert list(Account.objects.values_list("pk", flat=True)) == [a.pk]
        assert set(ApiKey.objects.values_list("account_id", flat=True)) == {a.pk}
        with tenancy.operator_scope():
            assert Account.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
        assert Account.objects.count() == 1
    assert Account.objects.count() == 0


def test_a_new_connection_gets_the_current_scope(two_accounts):
    from billing.models import Account

    a, _ = two_accounts
    with tenancy.tenant_scope(a.pk):
        with connection.cursor() as cursor:
            cursor.execute("SELECT billing_scope_account(), billing_scope_is_operator()")
            assert cursor.fetchone() == (a.pk, False)
        assert Account.objects.count() == 1


def test_another_accounts_rows_can_be_neither_updated_nor_deleted(two_accounts):
    a, b = two_accounts
    refused = "row-level security|append-only|permission denied"
    with connection.cursor() as cursor:
        for table, column in tenant_tables():
            set_raw_scope(cursor, account_id=a.pk)
            for statement in (f'UPDATE "{table}" SET {column} = {column} WHERE {column} = %s',
                              f'DELETE FROM "{table}" WHERE {column} = %s'):
                try:
                    with transaction.atomic():
                        cursor.execute(statement, [b.pk])
                        assert cursor.rowcount == 0, f"{table}: A changed B's rows ({statement.split()[0]})"
                except DatabaseError as error:
                    assert re.search(refused, str(error)), f"{table}: {error}"
            # Moving one of A's own rows to B is refused too (the policy's WITH CHECK).
            with pytest.raises(DatabaseError, match=refused), transaction.atomic():
                cursor.execute(
                    f'UPDATE "{table}" SET {column} = %s WHERE ctid = '
                    f'(SELECT ctid FROM "{table}" WHERE {column} = %s LIMIT 1)', [b.pk, a.pk])
        set_raw_scope(cursor)
