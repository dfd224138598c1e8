"""manage.py load_demo_usage: usage for live subscriptions, idempotent."""

import io

import pytest
from django.core.management import call_command

from billing import tenancy
from metering.selectors import stored_event_count

pytestmark = pytest.mark.django_db


def test_demo_usage_is_loaded_once(make_metric, subscribe):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 100}])
    call_command("load_demo_usage", stdout=io.StringIO())
    call_command("load_demo_usage", stdout=io.StringIO())
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 55
