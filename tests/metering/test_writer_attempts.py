"""The writer's first, optimistic claim and what it remembers between batches, and how both recover."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import clock, tenancy
from metering.ingest import writer
from metering.ingest.decode import EventIn
from metering.selectors import stored_event_count
from metering.services import usage_events_record


def _events(account, keys, **kwargs):
    return [EventIn(metric="calls", idempotency_key=key, account_id=account.pk, **kwargs) for key in keys]


@pytest.mark.django_db
def test_a_batch_without_stored_keys_is_written_in_one_attempt(make_account, make_metric, record_moves):
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        result = usage_events_record(events=_events(account, ["a", "b", "c"]))
    assert (result.accepted, result.duplicates) == (3, [])
    assert record_moves == [writer.MOVE_ALL]


@pytest.mark.django_db
def test_a_stored_key_fails_the_first_claim_and_the_probing_claim_skips_it(make_account, make_metric, record_moves):
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a", "b"]))
        result = usage_events_record(events=_events(account, ["b", "c", "a", "d"]))
        assert stored_event_count(account_id=account.pk) == 4
    assert (result.accepted, result.duplicates) == (2, [0, 2])
    assert record_moves == [writer.MOVE_ALL, writer.MOVE_ALL, writer.MOVE_PLAIN]


@pytest.mark.django_db
def test_an_account_that_resent_keys_starts_with_the_probing_claim_until_a_batch_without_one(
        make_account, make_metric, record_moves):
    make_metric("calls")
    account, other = make_account(), make_account()
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a"]))
        usage_events_record(events=_events(account, ["a", "b"]))  # all, then plain
        del record_moves[:]
        assert usage_events_record(events=_events(account, ["b", "c"])).duplicates == [0]  # plain at once
        assert usage_events_record(events=_events(other, ["a"])).accepted == 1  # another account: all
        assert usage_events_record(events=_events(account, ["d"])).accepted == 1  # plain, no duplicate
        assert usage_events_record(events=_events(account, ["e"])).accepted == 1  # back to all
        assert stored_event_count(account_id=account.pk) == 5
    assert record_moves == [writer.MOVE_PLAIN, writer.MOVE_ALL, writer.MOVE_PLAIN, writer.MOVE_ALL]


def _preludes(queries) -> list[str]:
    return [q["sql"] for q in queries if "metering_usage_partitions_ensure" in q["sql"] or "CREATE TEMP" in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_after_a_committed_batch_the_connection_skips_partitions_and_staging_setup(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    connection.close()  # a new session, without a staging table
    with tenancy.operator_scope():
        with CaptureQueriesContext(connection) as first:
            usage_events_record(events=_events(account, ["a"]))
        with CaptureQueriesContext(connection) as second:
            usage_events_record(events=_events(account, ["b"]))
        assert stored_event_count(account_id=account.pk) == 2
    assert any("CREATE TEMP" in sql for sql in _preludes(first.captured_queries))
    assert _preludes(second.captured_queries) == []


@pytest.mark.django_db(transaction=True)
def test_a_remembered_day_dropped_by_retention_is_made_again(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    day = clock.now() - timedelta(days=2)
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a"], timestamp=day))
        assert day.date() in writer._ensured_days
        with connection.cursor() as cursor:  # what the retention job does, for this day
            cursor.execute("SELECT metering_usage_partitions_drop_before(%s::date)", [day.date() + timedelta(days=1)])
        result = usage_events_record(events=_events(account, ["b"], timestamp=day))
        assert result.accepted == 1
        assert stored_event_count(account_id=account.pk) == 1  # "a" went with its partition


@pytest.mark.django_db(transaction=True)
def test_a_session_that_lost_its_staging_table_makes_it_again(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a"]))
        assert writer._staging_known()
        with connection.cursor() as cursor:
            cursor.execute("DISCARD TEMP")
        result = usage_events_record(events=_events(account, ["b"]))
        assert result.accepted == 1
        assert stored_event_count(account_id=account.pk) == 2


@pytest.mark.django_db(transaction=True)
def test_a_closed_connection_is_not_taken_for_one_with_a_staging_table(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a"]))
    connection.close()
    assert not writer._staging_known()
    writer._forget()
    assert not writer._staging_known()


@pytest.mark.django_db
def test_the_staging_copy_leaves_out_a_column_with_a_volatile_default(make_account, make_metric):
    """PostgreSQL copies row by row (cheaper for a temp table than its multi-row path) only when a
    column the COPY leaves out has a volatile default."""
    make_metric("calls")
    account = make_account()
    with tenancy.operator_scope():
        usage_events_record(events=_events(account, ["a"]))
    copied = writer._COPY.split("(", 1)[1].split(")", 1)[0].replace('"', "").replace(" ", "").split(",")
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef d "
                       "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = %s::regclass",
                       [f"pg_temp.{writer.STAGING}"])
        left_out = [(name, expression) for name, expression in cursor.fetchall() if name not in copied]
        assert [name for name, _ in left_out] == ["one_by_one"]
        function = left_out[0][1].removesuffix("()")
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = %s AND pronargs = 0", [function])
        assert cursor.fetchone() == ("v",)
