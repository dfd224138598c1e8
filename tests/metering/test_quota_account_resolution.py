"""Which account a quota request is about: remembered for checks, looked up afresh for writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import tenancy
from billing.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(api_client, api_key_for):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None, ['usage:read', 'usage:write'])}")
    return api_client


def _check(client, **who):
    return client.post("/api/v1/quotas/check", {"metric": "api_calls", "quantity": 1, **who}, format="json")


def _account_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "billing_account" in q["sql"]]


def test_a_check_by_external_id_looks_the_account_up_once(make_metric, subscribe, operator_client):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard"}])
    with CaptureQueriesContext(connection) as first:
        assert _check(operator_client, external_customer_id=account.external_id).json()["limit"] == 10
    with CaptureQueriesContext(connection) as second:
        assert _check(operator_client, external_customer_id=account.external_id).json()["limit"] == 10
    assert _account_queries(first.captured_queries)
    assert _account_queries(second.captured_queries) == []


def test_an_account_key_naming_its_own_account_needs_no_lookup(make_metric, subscribe, api_client, api_key_for):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard"}])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(account, ['usage:read'])}")
    _check(api_client)  # warms the metric and limits caches
    with CaptureQueriesContext(connection) as queries:
        assert _check(api_client, account_id=account.pk).json()["limit"] == 10
    assert _account_queries(queries.captured_queries) == []


def test_an_unknown_external_id_is_not_remembered(make_metric, make_account, operator_client):
    make_metric("api_calls")
    assert _check(operator_client, external_customer_id="newcomer").status_code == 404
    make_account(external_id="newcomer")
    assert _check(operator_client, external_customer_id="newcomer").status_code == 200


def test_consume_looks_the_account_up_afresh(make_metric, make_account, operator_client):
    make_metric("api_calls")
    first, second = make_account(external_id="acme"), make_account()
    assert _check(operator_client, external_customer_id="acme").status_code == 200  # remembered: first
    with tenancy.operator_scope():
        Account.objects.filter(pk=first.pk).update(external_id="acme-old")
        Account.objects.filter(pk=second.pk).update(external_id="acme")
    response = operator_client.post("/api/v1/quotas/consume", {"metric": "api_calls", "quantity": 1,
                                                               "external_customer_id": "acme"}, format="json")
    assert response.status_code == 200, response.content
    from metering.selectors import stored_event_count

    with tenancy.operator_scope():
        assert (stored_event_count(account_id=first.pk), stored_event_count(account_id=second.pk)) == (0, 1)
