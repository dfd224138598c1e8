"""PostgreSQL through psycopg 3, as two roles.

`default` is the application role: no superuser, no BYPASSRLS, so row-level
security applies to every query the web process and the workers make.
`owner` is the role that owns the tables; only `manage.py migrate --database owner`
uses it. Connections are persistent (CONN_MAX_AGE) with health checks rather than
pooled: each web worker thread (granian, WEB_THREADS per process) and Celery prefork child holds one
connection, so a pool adds nothing, and the tenancy scope is re-applied on every
new connection and reset at every request boundary (billing/tenancy.py).
"""

from .env import env

DATABASE_URL = env.str("DATABASE_URL", default="postgres://billing_app:billing_app@127.0.0.1:5432/billing")
DATABASE_OWNER_URL = env.str(
    "DATABASE_OWNER_URL", default="postgres://billing_owner:billing_owner@127.0.0.1:5432/billing"
)
CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=60)


def _database(url: str) -> dict:
    config = env.db_url_config(url)
    config["ENGINE"] = "django_rls.backends.postgresql"
    config["CONN_MAX_AGE"] = CONN_MAX_AGE
    config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("OPTIONS", {})["application_name"] = "billing"
    return config


DATABASES = {"default": _database(DATABASE_URL), "owner": _database(DATABASE_OWNER_URL)}
DATABASE_APP_ROLE = DATABASES["default"]["USER"]
DATABASE_OWNER_ROLE = DATABASES["owner"]["USER"]

DJANGO_RLS = {
    # We create policies ourselves after each migrate, on the owner connection
    # (billing/rls.py), and apply the scope on connect (billing/tenancy.py).
    "AUTO_ENABLE_RLS": False,
    "RESET_CONTEXT_ON_CONNECT": False,
}
