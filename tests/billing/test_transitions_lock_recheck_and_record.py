"""`billing.transitions.transition()`: the move is taken on the row as it is in the database, in the caller's
transaction, with its audit entry, its event and the reactions registered for it, or not at all."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from billing.models import AuditEntry, OutboxEvent, Subscription
from billing.services import subscription_create, subscription_pause
from billing.services.subscriptions import TRANSITIONS
from billing.transitions import (
    TransitionRefused,
    TransitionTable,
    on_transition,
    row_lock,
    transition,
)
from tests.billing.catalog_factories import plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(make_account, operator):
    return subscription_create(account=make_account(), plan=plan(code="monthly"))


def audits(sub):
    return AuditEntry.objects.filter(object_type="billing.subscription", object_id=str(sub.pk))


def test_a_copy_read_before_another_state_change_is_refused_not_written_over(sub):
    stale = Subscription.objects.get(pk=sub.pk)  # active, read without a lock
    subscription_pause(subscription=sub)  # meanwhile
    written = audits(sub).count()
    stale.quantity = 7
    with pytest.raises(TransitionRefused) as error, transaction.atomic():
        transition(stale, "canceled")  # paused may become canceled: but not from this copy
    assert (error.value.from_state, error.value.to_state) == ("paused", "canceled")
    current = Subscription.objects.get(pk=sub.pk)
    assert (current.status, current.quantity, audits(sub).count()) == ("paused", 1, written)


def test_a_move_writes_its_audit_entry_and_event_and_runs_its_reactions_in_the_callers_transaction(sub):
    seen = []
    reaction = on_transition(TRANSITIONS, to="past_due")(lambda moved, move: seen.append(
        (moved.pk, move.from_state, move.to_state)))
    try:
        with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
            transition(sub.pk, "past_due", table=TRANSITIONS, action="subscription.test", reason="late",
                       event="billing.subscription.updated", payload=lambda moved: {"status": moved.status})
            assert seen == [(sub.pk, "active", "past_due")]
            entry = audits(sub).get(action="subscription.test")
            assert (entry.before["status"], entry.after["status"], entry.after["reason"]) == (
                "active", "past_due", "late")
            assert OutboxEvent.objects.get(type="billing.subscription.updated").payload == {"status": "past_due"}
            raise RuntimeError("rolled back")
    finally:
        from billing.transitions import _REACTIONS

        _REACTIONS[(Subscription, "past_due")].remove(reaction)
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    assert not audits(sub).filter(action="subscription.test").exists()
    assert not OutboxEvent.objects.filter(type="billing.subscription.updated").exists()


def test_the_one_row_lock_reads_afresh_and_answers_not_found(sub):
    Subscription.objects.filter(pk=sub.pk).update(quantity=3)
    with transaction.atomic():
        locked = row_lock(Subscription, sub, related=("plan",))
        assert locked.quantity == 3 and locked is not sub
        assert row_lock(Subscription, sub.pk + 1000, required=False) is None
    from billing.errors import NotFound

    with pytest.raises(NotFound), transaction.atomic():
        row_lock(Subscription, sub.pk + 1000)


def test_a_table_names_exactly_the_states_of_its_field():
    with pytest.raises(ImproperlyConfigured, match="choices"):
        TransitionTable(Subscription, {"active": {"canceled"}, "canceled": set()}, initial={"active"})
    with pytest.raises(ImproperlyConfigured, match="unknown"):
        TransitionTable(Subscription, {**TRANSITIONS.moves, "active": {"archived"}}, initial={"active"})
