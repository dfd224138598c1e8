"""Four finalizers on real threads and connections: numbers without gaps or duplicates."""

import contextlib
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


def test_chunked_and_single_finalizers_racing_on_the_same_drafts_number_each_once(make_account):
    from billing.errors import InvalidTransition
    from invoicing.services.finalize_bulk import invoices_finalize_many

    account, other = make_account("Chunky"), make_account("Single")
    with tenancy.operator_scope():
        ids = [draft(account if i % 2 else other).pk for i in range(24)]
    start = threading.Barrier(4)
    failures = []

    def chunked(order):
        with tenancy.operator_scope():
            for i in range(0, len(order), 5):
                invoices_finalize_many(invoice_ids=order[i:i + 5])

    def single(order):
        with tenancy.operator_scope():
            for pk in order:
                with contextlib.suppress(InvalidTransition):  # a chunk finalized it first
                    invoice_finalize(invoice=pk)

    def run(work, order):
        try:
            start.wait()
            work(order)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in (
        (chunked, ids), (chunked, ids[::-1]), (single, ids[::2] + ids[1::2]), (single, ids[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with tenancy.operator_scope():
        invoices = list(Invoice.objects.filter(pk__in=ids))
        counter = NumberSequence.objects.get(series="INV")
        from billing.models import AuditEntry

        finalized_entries = AuditEntry.objects.filter(action="invoice.finalized",
                                                      object_id__in=[str(pk) for pk in ids]).count()
    assert {i.status for i in invoices} == {"open"}
    assert sorted(int(i.number.rsplit("-", 1)[1]) for i in invoices) == list(range(1, 25))
    assert counter.last_value == 24 and finalized_entries == 24


def test_concurrent_number_take_many_from_a_missing_year_row(db):
    """The first takers of a year race to create its row (one upsert each): every number once, no gap,
    and a rolled-back take gives its numbers back."""
    from django.db import transaction

    from invoicing.services import number_take_many

    start = threading.Barrier(4)
    taken, failures = [], []

    def take(rolled_back):
        try:
            start.wait()
            for _ in range(3):
                with contextlib.suppress(RuntimeError), transaction.atomic():
                    numbers = number_take_many(series="INV", year=2031, count=5)
                    if rolled_back:
                        raise RuntimeError("crash after taking the numbers")
                    taken.extend(numbers)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(i == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(int(n.rsplit("-", 1)[1]) for n in taken) == list(range(1, 46))
    assert NumberSequence.objects.get(series="INV", year=2031).last_value == 45
