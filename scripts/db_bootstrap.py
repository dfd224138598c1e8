"""Creates the two database roles and the database, idempotently.

- owner role (DATABASE_OWNER_URL): owns the tables, runs migrations, may create
  databases (the test suite makes its own).
- application role (DATABASE_URL): LOGIN only. NOSUPERUSER, NOBYPASSRLS, so row-level
  security applies to it; it gets table privileges after each migrate. It is made no
  member of the owner role (else `SET ROLE` would lift every policy) and may create no
  schema in the database, nor anything in `public`: SQL run as it can only read and write
  rows, under the scope our code entered (docs/security.md).

The row-level-security scope secret needs no step here: every `migrate --database owner`
installs the hash of RLS_SCOPE_SECRET (billing/rls.py).

Connects as a PostgreSQL superuser: PG_SUPERUSER_URL, default the local `postgres`.
"""

import contextlib
import os
import sys
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

DEFAULT_APP = "postgres://billing_app:billing_app@127.0.0.1:5432/billing"
DEFAULT_OWNER = "postgres://billing_owner:billing_owner@127.0.0.1:5432/billing"


def read_dotenv() -> dict:
    path = os.path.join(os.path.dirname(__file__), "..", ".env")
    values = {}
    if os.path.exists(path):
        with open(path) as lines:
            for line in lines:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    key, _, value = line.partition("=")
                    values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or read_dotenv().get(name) or default


def drop_stale_test_databases(conn, database: str) -> None:
    """Test runs that were killed leave `test_<db>_<pid>` databases behind; drop the idle ones."""
    rows = conn.execute(
        "SELECT datname FROM pg_database d WHERE datname LIKE %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
        [f"test\\_{database}\\_%"],
    ).fetchall()
    for (name,) in rows:
        with contextlib.suppress(psycopg.Error):  # someone connected meanwhile: in use after all
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))


def restrict_app_role(conn, superuser_url: str, database: str, owner: str, app: str) -> None:
    """What the application role must not have, whatever was granted before."""
    if conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app, owner]).fetchone()[0]:
        conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(owner), sql.Identifier(app)))
        print(f"{app} was a member of {owner}: revoked")
    conn.execute(sql.SQL("REVOKE CREATE ON DATABASE {} FROM PUBLIC, {}").format(
        sql.Identifier(database), sql.Identifier(app)))
    # PostgreSQL 15 no longer lets PUBLIC create in `public`; a database made by an older one still may.
    with psycopg.connect(urlunparse(urlparse(superuser_url)._replace(path=f"/{database}")),
                         autocommit=True) as in_database:
        in_database.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {}").format(sql.Identifier(app)))


def main() -> int:
    app = urlparse(setting("DATABASE_URL", DEFAULT_APP))
    owner = urlparse(setting("DATABASE_OWNER_URL", DEFAULT_OWNER))
    superuser_url = setting("PG_SUPERUSER_URL", f"postgres://postgres@{owner.hostname}:{owner.port or 5432}/postgres")
    database = owner.path.lstrip("/")
    try:
        conn = psycopg.connect(superuser_url, autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"Cannot connect as a PostgreSQL superuser ({superuser_url}): {exc}\n"
              "Set PG_SUPERUSER_URL, or create the roles by hand as docs/configuration.md shows.", file=sys.stderr)
        return 1
    with conn:
        def role_exists(name):
            return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone() is not None

        for url, extra in ((owner, "NOSUPERUSER CREATEDB NOBYPASSRLS"), (app, "NOSUPERUSER NOCREATEDB NOBYPASSRLS")):
            verb = "ALTER" if role_exists(url.username) else "CREATE"
            conn.execute(sql.SQL("{} ROLE {} LOGIN {} PASSWORD {}").format(
                sql.SQL(verb), sql.Identifier(url.username), sql.SQL(extra), sql.Literal(url.password or "")))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(owner.username)))
            print(f"created database {database}")
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(app.username)))
        restrict_app_role(conn, superuser_url, database, owner.username, app.username)
        if "--drop-stale-test-databases" in sys.argv:
            drop_stale_test_databases(conn, database)
    print(f"roles {owner.username} (owner) and {app.username} (application, no BYPASSRLS) are ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
