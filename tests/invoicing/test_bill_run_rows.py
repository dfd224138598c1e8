"""What the bill run's row writing relies on: audit and event JSON exactly as the DjangoJSONEncoder
round trip gives it; rows copied through a staging table still pass row-level security, refuse an
over-long string rather than cut it, and store JSON and defaults as an ORM insert does."""

import datetime as dt
import enum
import gc
import json
import uuid
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, ProgrammingError, transaction
from django.utils.translation import gettext_lazy

from billing import tenancy
from billing.audit import _json_safe, json_text, snapshot, snapshot_changed
from billing.models import AuditEntry, OutboxEvent
from billing.outbox import event_record_many
from billing.rows import rows_copy

pytestmark = pytest.mark.django_db
UTC = dt.UTC


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


@pytest.mark.parametrize("value", [
    {"at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "plain": dt.datetime(2026, 1, 2, tzinfo=UTC)},
    {"paris": dt.datetime(2026, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=1))), "day": dt.date(2026, 1, 2)},
    {"amount": Decimal("1.50"), "id": uuid.UUID(int=7), "nested": [{"t": (1, "x", None, True)}]},
    {"colour": Colour.RED, "size": Size.BIG, "flag": False, "none": None},
    {"ratio": 0.1, "time": dt.time(1, 2, 3, 456789), "lazy": gettext_lazy("Invoice"), 3: "int key"},
    [dt.timedelta(hours=1), "text"],
])
def test_json_safe_is_the_django_encoder_round_trip(value):
    expected = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    assert _json_safe(value) == expected
    assert json.loads(json_text(value)) == expected
    assert _json_safe(_json_safe(value)) == expected


def test_a_changed_snapshot_is_the_snapshot_taken_after_the_change(make_account):
    account = make_account()
    before = snapshot(account)
    account.name = "Renamed"
    account.updated_at = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert snapshot_changed(before, name="Renamed") == snapshot(account)
    assert before["name"] != "Renamed"  # the picture before is left as it was


def test_copied_rows_are_stored_as_an_orm_insert_stores_them(operator, make_account):
    account = make_account()
    with transaction.atomic():
        event_record_many([{"type": "test.happened", "account_id": account.pk,
                            "payload": {"at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                                        "amount": Decimal("2.5")}}])
    event = OutboxEvent.objects.get(type="test.happened")
    assert event.payload == {"at": "2026-01-02T03:04:05.678Z", "amount": "2.5"}
    assert (event.status, event.attempts, event.last_error, event.delivered_at) == ("pending", 0, "", None)
    assert event.created_at is not None and event.next_attempt_at is not None


def test_an_over_long_string_is_refused_not_cut(operator, make_account):
    account = make_account()
    with pytest.raises(DataError), transaction.atomic():
        rows_copy(OutboxEvent, ["type", "account_id", "payload"], [("x" * 101, account.pk, "{}")])


def test_copied_rows_pass_row_level_security(make_account):
    mine, theirs = make_account(), make_account()
    columns = ["account_id", "actor_type", "action", "object_type", "object_id"]
    with tenancy.tenant_scope(mine.pk):
        with transaction.atomic():
            rows_copy(AuditEntry, columns, [(mine.pk, "system", "test.mine", "x", "1")])
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            rows_copy(AuditEntry, columns, [(theirs.pk, "system", "test.theirs", "x", "1")])
    with tenancy.operator_scope():
        assert list(AuditEntry.objects.filter(action__startswith="test.").values_list("action", flat=True)) == [
            "test.mine"]


def test_a_chunk_runs_with_cyclic_gc_paused_and_gives_it_back(operator, monkeypatch):
    from invoicing.models import BillRun
    from invoicing.services.bill_runs import bill_run_chunk_process

    seen = []

    def renewals(**kwargs):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("the set-based pass fails")
        return {"created": [], "skipped": 0}

    monkeypatch.setattr("invoicing.services.bill_runs.subscriptions_bill_renewal_many", renewals)
    run = BillRun.objects.create(started_at=dt.datetime(2026, 2, 1, tzinfo=UTC),
                                 billing_time=dt.datetime(2026, 2, 1, tzinfo=UTC), subscriptions_due=0, chunks=2)
    assert gc.isenabled()
    bill_run_chunk_process(run_id=run.pk, subscription_ids=[], at=run.billing_time)
    bill_run_chunk_process(run_id=run.pk, subscription_ids=[], at=run.billing_time)  # falls back, one by one
    assert seen == [False, False]
    assert gc.isenabled()
