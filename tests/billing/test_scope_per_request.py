"""Each request gets its own scope; none survives into the next request on the same connection."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from billing import tenancy
from billing.services import membership_add

pytestmark = pytest.mark.django_db


def connection_scope():
    with connection.cursor() as cursor:
        cursor.execute("SELECT billing_scope_account(), billing_scope_is_operator()")
        return cursor.fetchone()


def test_a_console_request_scope_is_gone_after_the_request(make_account):
    account = make_account("Acme")
    user = get_user_model().objects.create_user("alice", password="x")
    with tenancy.operator_scope():
        membership_add(account=account, user=user, role="owner")
    client = Client()
    client.force_login(user)
    assert client.get("/console/").status_code == 200
    after = connection_scope()
    assert after == (None, False)
    assert tenancy.current().is_empty


def test_an_api_request_scope_is_gone_after_the_request(make_account, api_key_for):
    account = make_account("Acme")
    key = api_key_for(account, scopes=["billing:read"])
    response = Client().get("/api/v1/audit-entries", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["results"]
    assert connection_scope() == (None, False)
    assert tenancy.current().is_empty


def test_an_operator_scope_left_on_the_connection_is_cleared_by_the_next_request(make_account):
    make_account("Acme")
    tenancy.activate(tenancy.OPERATOR)  # as if an earlier request had leaked it
    response = Client().get("/health/live")
    assert response.status_code == 200
    assert connection_scope() == (None, False)
    from billing.models import Account

    assert Account.objects.count() == 0
