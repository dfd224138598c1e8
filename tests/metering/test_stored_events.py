"""What the binary COPY path stores: each field exactly as validated, properties as JSON objects."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from billing import clock, tenancy
from metering.ingest.decode import EventIn
from metering.services import usage_events_record

pytestmark = pytest.mark.django_db


def _stored(account):
    with tenancy.operator_scope(), connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_key, value, properties, jsonb_typeof(properties), \"timestamp\" "
                       "FROM metering_usageevent WHERE account_id = %s ORDER BY idempotency_key", [account.pk])
        return [(key, value, json.loads(properties), kind, ts) for key, value, properties, kind, ts in cursor.fetchall()]


def test_values_timestamps_and_properties_are_stored_exactly(make_account, make_metric):
    make_metric("gb", aggregation="sum")
    account = make_account()
    at = clock.now().replace(microsecond=123456) - timedelta(hours=1)
    values = {"a": Decimal("0.000000000001"), "b": "-5", "c": 1000, "d": 2.5, "e": "1e3"}
    events = [EventIn(metric="gb", idempotency_key=key, value=value, timestamp=at, account_id=account.pk,
                      properties={"region": "eu", "path": "a\\b\tc", "n": 1})
              for key, value in values.items()]
    with tenancy.operator_scope():
        assert usage_events_record(events=events).accepted == 5
    rows = _stored(account)
    assert [(key, value) for key, value, *_ in rows] == [
        ("a", Decimal("0.000000000001")), ("b", Decimal(-5)), ("c", Decimal(1000)), ("d", Decimal("2.5")),
        ("e", Decimal(1000))]
    assert {(kind, str(ts.astimezone(UTC))) for *_, kind, ts in rows} == {("object", str(at.astimezone(UTC)))}
    assert rows[0][2] == {"region": "eu", "path": "a\\b\tc", "n": 1}


def test_unix_seconds_and_a_missing_value_are_stored(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    unix = clock.now().timestamp() - 60
    with tenancy.operator_scope():
        usage_events_record(events=[EventIn(metric="calls", idempotency_key="k", timestamp=unix, account_id=account.pk)])
    (key, value, properties, kind, ts), = _stored(account)
    assert (value, properties, kind) == (None, {}, "object")
    assert ts == datetime.fromtimestamp(unix, UTC)
