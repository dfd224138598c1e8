"""Domain events: written with the change, delivered to handlers at least once, retried with backoff."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from billing import outbox, tenancy
from billing.models import OutboxEvent
from billing.models.outbox import OutboxStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch):
    calls = []
    monkeypatch.setattr(outbox, "_handlers", outbox.defaultdict(list))
    outbox.handler("test.happened")(lambda event: calls.append(event.payload))
    return calls


def record(payload, account_id=None):
    with tenancy.operator_scope(), transaction.atomic():
        return outbox.event_record(type="test.happened", account_id=account_id, payload=payload)


def test_an_event_rolled_back_with_its_change_never_exists(operator):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.event_record(type="test.happened", account_id=None, payload={"n": 1})
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.filter(type="test.happened").exists()


def test_pending_events_reach_their_handlers_once(received, operator):
    record({"n": 1})
    record({"n": 2})
    assert outbox.outbox_deliver_batch() == 2
    assert outbox.outbox_deliver_batch() == 0
    assert received == [{"n": 1}, {"n": 2}]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}


def test_a_failing_handler_is_retried_later_with_backoff(monkeypatch, operator):
    monkeypatch.setattr(outbox, "_handlers", outbox.defaultdict(list))
    attempts = []

    @outbox.handler("test.happened")
    def flaky(event):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("smtp down")

    event = record({"n": 1})
    assert outbox.outbox_deliver_batch() == 0
    event.refresh_from_db()
    assert event.status == OutboxStatus.PENDING and event.attempts == 1 and "smtp down" in event.last_error
    assert event.next_attempt_at > timezone.now()
    assert outbox.outbox_deliver_batch() == 0  # not due yet
    OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.outbox_deliver_batch() == 1
    assert len(attempts) == 2


def test_an_event_that_keeps_failing_is_given_up(monkeypatch, operator):
    monkeypatch.setattr(outbox, "_handlers", outbox.defaultdict(list))
    outbox.handler("test.happened")(lambda event: 1 / 0)
    event = record({})
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        outbox.outbox_deliver_batch()
    event.refresh_from_db()
    assert event.status == OutboxStatus.FAILED and event.attempts == outbox.MAX_ATTEMPTS


def test_wildcard_handlers_see_every_type(monkeypatch, operator):
    monkeypatch.setattr(outbox, "_handlers", outbox.defaultdict(list))
    seen = []
    outbox.handler("*")(lambda event: seen.append(event.type))
    record({})
    outbox.outbox_deliver_batch()
    assert seen == ["test.happened"]


def test_the_delivery_task_runs_in_the_operator_scope(received, make_account):
    from billing.tasks import outbox_deliver

    account = make_account()
    record({"n": 3}, account_id=account.pk)
    assert tenancy.current().is_empty
    outbox_deliver.apply()
    assert {"n": 3} in received
