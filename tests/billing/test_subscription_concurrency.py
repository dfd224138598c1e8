"""Two workers advancing the same period at once: the row lock and re-check let exactly one through."""

import threading

import pytest
from django.db import connection

from billing import clock, tenancy
from billing.models import AuditEntry, Subscription
from billing.services import account_create, subscription_create, subscription_period_advance
from tests.billing.catalog_factories import plan, utc

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_period_advances_move_the_period_once():
    with tenancy.operator_scope(), clock.frozen(utc(2026, 1, 31)):
        sub = subscription_create(account=account_create(name="Racer"), plan=plan(code="monthly"))
    barrier = threading.Barrier(2)
    results = []

    def advance():
        try:
            with tenancy.operator_scope(), clock.frozen(utc(2026, 3, 1)):
                barrier.wait()
                results.append(subscription_period_advance(subscription=sub,
                                                           expected_period_end=utc(2026, 2, 28)))
        finally:
            connection.close()

    threads = [threading.Thread(target=advance) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    with tenancy.operator_scope():
        sub = Subscription.objects.get(pk=sub.pk)
        assert (sub.current_period_start, sub.current_period_end) == (utc(2026, 2, 28), utc(2026, 3, 31))
        assert AuditEntry.objects.filter(action="subscription.renewed", object_id=str(sub.pk)).count() == 1
