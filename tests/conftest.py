"""Test database: created and migrated as the owner role, then used as the application role.

So every test runs under row-level security exactly as the web process does.
"""

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, connections

from billing import tenancy


def _use_role(alias_settings: dict) -> None:
    default = connections["default"]
    default.close()
    default.settings_dict["USER"] = alias_settings["USER"]
    default.settings_dict["PASSWORD"] = alias_settings["PASSWORD"]


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    from django.test.utils import setup_databases, teardown_databases

    app_role = {k: settings.DATABASES["default"][k] for k in ("USER", "PASSWORD")}
    owner_role = {k: settings.DATABASES["owner"][k] for k in ("USER", "PASSWORD")}
    with django_db_blocker.unblock():
        _use_role(owner_role)
        db_config = setup_databases(verbosity=0, interactive=False, keepdb=False, aliases={"default"})
        _use_role(app_role)
    yield
    with django_db_blocker.unblock():
        _use_role(owner_role)
        teardown_databases(db_config, verbosity=0)
        _use_role(app_role)


@pytest.fixture(autouse=True)
def _no_scope_leaks():
    """Each test starts and ends with no RLS scope."""
    tenancy._current.set(tenancy.NO_SCOPE)
    yield
    tenancy._current.set(tenancy.NO_SCOPE)


@pytest.fixture
def operator(db):
    """Run the test body in the operator scope (as finance staff and jobs do)."""
    with tenancy.operator_scope():
        yield


@pytest.fixture
def make_account(db):
    from billing.services import account_create

    counter = iter(range(1, 10_000))

    def make(name=None, **kwargs):
        with tenancy.operator_scope():
            n = next(counter)
            return account_create(name=name or f"Account {n}", external_id=kwargs.pop("external_id", f"ext-{n}"),
                                  **kwargs)

    return make


@pytest.fixture
def api_key_for(db):
    """api_key_for(account_or_None, scopes) -> raw key string."""
    from billing.services import api_key_create

    def make(account=None, scopes=("billing:read",)):
        with tenancy.operator_scope():
            return api_key_create(name="test key", scopes=list(scopes), account=account).secret

    return make


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def keep_test_transaction():
    """As Django's test client does: the test's transaction must survive the request boundary."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
