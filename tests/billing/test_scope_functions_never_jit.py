"""The scope functions a policy calls in every statement run without JIT, whatever the session's
planner settings were when their inner SELECT was first planned (it cost ~30 ms a call otherwise)."""

import pytest
from django.db import connection

SCOPE_FUNCTIONS = ("billing_scope_account", "billing_scope_is_operator", "billing_scope_enter")


@pytest.mark.django_db
def test_every_scope_function_carries_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, proconfig FROM pg_proc WHERE proname = ANY(%s)", [list(SCOPE_FUNCTIONS)])
        configs = dict(cursor.fetchall())
    assert set(configs) == set(SCOPE_FUNCTIONS)
    for name, config in configs.items():
        assert "jit=off" in (config or []), name

