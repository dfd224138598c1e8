"""Retention drops whole daily partitions; idempotency keys outlive the acceptance window, then go."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings

from billing import clock
from metering.ingest.decode import EventIn
from metering.services import usage_events_record
from metering.services.retention import usage_keys_prune, usage_partitions_maintain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]


def partition_days():
    with connection.cursor() as cursor:
        cursor.execute("SELECT day FROM metering_usage_partitions()")
        return [row[0] for row in cursor.fetchall()]


def test_maintenance_creates_partitions_ahead_and_is_idempotent():
    usage_partitions_maintain()
    today = datetime.now(UTC).date()
    days = partition_days()
    assert today + timedelta(days=7) in days and today - timedelta(days=36) in days
    assert usage_partitions_maintain() == {"created": 0, "dropped": 0}


def test_partitions_older_than_retention_are_dropped_whole(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with clock.frozen(today):
        usage_events_record(events=[EventIn(metric="calls", idempotency_key="k", account_id=account.pk,
                                            timestamp=today - timedelta(days=30))])
    assert (today - timedelta(days=30)).date() in partition_days()
    with override_settings(METERING_RETENTION_DAYS=20):
        result = usage_partitions_maintain()
    assert result["dropped"] >= 1
    assert (today - timedelta(days=30)).date() not in partition_days()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metering_usageevent WHERE account_id = %s", [account.pk])
        assert cursor.fetchone()[0] == 0


def test_keys_are_pruned_only_after_the_acceptance_window(make_account, make_metric):
    make_metric("calls")
    account = make_account()
    usage_events_record(events=[EventIn(metric="calls", idempotency_key=k, account_id=account.pk)
                                for k in ("old", "new")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE metering_usagekey SET received_at = now() - interval '37 days' "
                       "WHERE account_id = %s AND idempotency_key = 'old'", [account.pk])
    assert usage_keys_prune() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_key FROM metering_usagekey WHERE account_id = %s", [account.pk])
        assert [row[0] for row in cursor.fetchall()] == ["new"]
