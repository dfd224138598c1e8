"""Four finalizers on real threads and connections: numbers without gaps or duplicates."""

import threading

import pytest
from django.db import connection

from billing import tenancy
from invoicing.models import Invoice, NumberSequence
from invoicing.services import invoice_finalize, number_take
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_concurrent_finalizers_take_consecutive_numbers(make_account):
    account = make_account("Busy")
    with tenancy.operator_scope():
        ids = [draft(account).pk for _ in range(24)]
    chunks = [ids[i::4] for i in range(4)]
    start = threading.Barrier(4)
    failures = []

    def finalize(chunk):
        try:
            start.wait()
            with tenancy.operator_scope():
                for pk in chunk:
                    invoice_finalize(invoice=pk)
        except Exception as exc:  # reported below: a thread's exception would otherwise vanish
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with tenancy.operator_scope():
        numbers = sorted(Invoice.objects.filter(pk__in=ids).values_list("number", flat=True))
        counter = NumberSequence.objects.get(series="INV")
    suffixes = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert suffixes == list(range(1, 25))
    assert counter.last_value == 24


def test_a_rolled_back_finalization_gives_its_number_back(make_account):
    from django.db import transaction

    with tenancy.operator_scope():
        with pytest.raises(RuntimeError), transaction.atomic():
            number_take(series="INV", year=2030)
            raise RuntimeError("crash after taking a number")
        with transaction.atomic():
            assert number_take(series="INV", year=2030) == "INV-2030-000001"
