"""The operator-service client against the real API (live server): check, consume, background sending."""

import pytest
from django.db import connection

from billing import tenancy
from billing_client import BillingClient, UsageSender
from metering.selectors import stored_event_count

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(live_server, api_key_for, make_metric, subscribe):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 2, "cap_mode": "hard"}])
    key = api_key_for(None, ["usage:read", "usage:write"])
    client = BillingClient(live_server.url, key, timeout=5)
    yield client, account
    client.close()  # ends the server's keep-alive threads (and their database connections)


def test_check_and_consume_through_the_client(setup):
    client, account = setup
    assert client.check("api_calls", external_customer_id=account.external_id).allowed
    assert client.consume("api_calls", account_id=account.pk).allowed
    assert client.consume("api_calls", account_id=account.pk).allowed
    refused = client.consume("api_calls", account_id=account.pk)
    assert not refused.allowed and refused.retry_after > 0
    assert not client.check("api_calls", account_id=account.pk).allowed


def test_the_sender_delivers_queued_events_in_the_background_once(setup):
    client, account = setup
    sender = UsageSender(client, interval=0.05)
    for i in range(5):
        sender.record("api_calls", account_id=account.pk, idempotency_key=f"req-{i}")
    sender.record("api_calls", account_id=account.pk, idempotency_key="req-0")  # a retry of the same request
    assert sender.close(timeout=10)
    with tenancy.operator_scope():
        assert stored_event_count(account_id=account.pk) == 5


def test_an_unreachable_billing_api_fails_open_without_raising():
    client = BillingClient("http://127.0.0.1:1", "bk_x_y", timeout=0.2)
    decision = client.check("api_calls", external_customer_id="acme")
    assert decision.allowed and decision.unavailable
    closed = BillingClient("http://127.0.0.1:1", "bk_x_y", timeout=0.2, fail_open=False)
    assert not closed.check("api_calls", external_customer_id="acme").allowed


METERED_CUSTOMER = {}


def metered_customer(request):
    return METERED_CUSTOMER.get("external_id")


def test_the_django_middleware_records_one_event_without_a_value_per_request(live_server, api_key_for, make_metric,
                                                                            make_account, settings, rf):
    """A count metric refuses a value: the middleware sends one event per request, without one."""
    from django.http import HttpResponse

    from billing_client import django as integration

    make_metric("api_calls")
    account = make_account()
    METERED_CUSTOMER["external_id"] = account.external_id
    settings.BILLING_CLIENT = {"url": live_server.url, "api_key": api_key_for(None, ["usage:read", "usage:write"]),
                               "customer": f"{__name__}.metered_customer", "metric": "api_calls", "timeout": 5}
    integration._state.clear()
    try:
        response = integration.QuotaMiddleware(lambda request: HttpResponse("ok"))(rf.get("/anything"))
        assert response.status_code == 200
        assert integration._state["sender"].close(timeout=10)
    finally:
        integration._state.clear()
    with tenancy.operator_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT value FROM metering_usageevent WHERE account_id = %s", [account.pk])
        assert cursor.fetchall() == [(None,)]
