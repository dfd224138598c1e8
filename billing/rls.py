"""Row-level security: the one policy every tenant table carries, and the grants.

After each `migrate` on the owner connection we (re)create the policies of every
RLSModel through django-rls's schema editor and grant the application role
what it needs. Models that django-rls cannot describe (partitioned tables made
in raw SQL) call `tenant_policy_sql()` from their own migrations.
"""

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django_rls.models import RLSModel
from django_rls.policies import CustomPolicy

OPERATOR_SQL = "(SELECT current_setting('rls.operator', true)) = 'on'"
TENANT_SQL = "(SELECT NULLIF(current_setting('rls.tenant_id', true), '')::bigint)"
POLICY_NAME = "tenant_isolation"
APPEND_ONLY_TABLES = ("billing_auditentry",)


def tenant_expression(column: str = "account_id") -> str:
    return f"{OPERATOR_SQL} OR {column} = {TENANT_SQL}"


def tenant_policy(column: str = "account_id") -> CustomPolicy:
    return CustomPolicy(POLICY_NAME, expression=tenant_expression(column))


def tenant_policy_sql(table: str, column: str = "account_id") -> str:
    """Raw SQL for a table created outside the ORM (e.g. a partitioned parent)."""
    expr = tenant_expression(column)
    return (
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY;'
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY;'
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}";'
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({expr}) WITH CHECK ({expr});'
    )


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
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{table}" FROM {role}')
        if getattr(settings, "TESTING", False):
            # pytest-django empties tables between transactional tests with TRUNCATE.
            cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
