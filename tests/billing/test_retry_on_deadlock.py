"""A transaction chosen as a deadlock victim is run again; other errors and nested calls are not."""

import psycopg
import pytest
from django.db import OperationalError, transaction

from billing.retry import retry_on_deadlock


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_victim_is_retried_until_it_succeeds():
    calls = []

    @retry_on_deadlock
    def work():
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return "done"

    assert work() == "done" and len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_the_attempts_and_never_retries_other_errors():
    calls = []

    @retry_on_deadlock(attempts=2)
    def always():
        calls.append(1)
        raise deadlock()

    with pytest.raises(OperationalError):
        always()
    assert len(calls) == 2

    @retry_on_deadlock
    def other():
        calls.append(1)
        raise OperationalError("connection lost")

    with pytest.raises(OperationalError):
        other()
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_it_does_not_retry():
    calls = []

    @retry_on_deadlock
    def work():
        calls.append(1)
        raise deadlock()

    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert len(calls) == 1
