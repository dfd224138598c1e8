"""`load_demo` loads the seed-002 catalog and subscribes the two demo accounts, once."""

import io

import pytest
from django.core.management import call_command

from billing import tenancy
from billing.models import Subscription

pytestmark = pytest.mark.django_db


def test_load_demo_subscribes_the_demo_accounts_once():
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    with tenancy.operator_scope():
        subs = {s.account.name: (s.plan.code, s.quantity, s.status) for s in Subscription.objects.select_related(
            "account", "plan")}
    assert subs == {"Acme Corp": ("standard", 30, "active"), "Globex Inc": ("free", 3, "active")}
