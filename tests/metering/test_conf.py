"""Metering's settings are checked when the process starts, and read when they are used."""

from datetime import timedelta

import environ
import pytest
from django.test import override_settings

from billing import clock
from metering import conf
from metering.conf import MeteringSettings
from metering.ingest.decode import EventIn
from metering.services import usage_events_record
from tests.helpers import settings_check


def test_the_default_settings_pass():
    assert settings_check("metering") == {}


@pytest.mark.parametrize("name, value, check_id, allowed", [
    ("METERING_LATE_EVENTS", "later", "metering.E002", "allowed: bill or reject"),
    ("METERING_ACCEPTANCE_WINDOW_DAYS", -1, "metering.E003", "at least 1"),
    ("METERING_ACCEPTANCE_WINDOW_DAYS", 0, "metering.E003", "at least 1"),
    ("METERING_FUTURE_TOLERANCE_SECONDS", -300, "metering.E003", "at least 0"),
    ("METERING_RETENTION_DAYS", -90, "metering.E003", "at least 1"),
    ("METERING_MAX_BATCH", 0, "metering.E003", "at least 1"),
    ("METERING_MAX_BATCH", "lots", "metering.E001", "whole number"),
    ("METERING_MAX_BATCH", True, "metering.E001", "whole number"),
    ("METERING_MAX_PROPERTIES_BYTES", -1, "metering.E003", "at least 0"),
    ("METERING_ROLLUP_LAG_SECONDS", -60, "metering.E003", "at least 0"),
    ("METERING_QUOTA_COUNTER_TTL_SECONDS", 0, "metering.E003", "at least 1"),
    ("METERING_ENTITLEMENT_CACHE_SECONDS", -30, "metering.E003", "at least 0"),
])
def test_a_wrong_value_is_named_with_what_it_allows(settings, name, value, check_id, allowed):
    setattr(settings, name, value)
    found = settings_check("metering")
    assert check_id in found, found
    assert found[check_id].startswith(f"{name} is ") and allowed in found[check_id]


def test_events_cannot_be_accepted_for_longer_than_they_are_kept(settings):
    settings.METERING_ACCEPTANCE_WINDOW_DAYS, settings.METERING_RETENTION_DAYS = 35, 30
    message = settings_check("metering")["metering.E006"]
    assert "METERING_RETENTION_DAYS (30)" in message and "METERING_ACCEPTANCE_WINDOW_DAYS (35)" in message


def test_an_unreadable_environment_value_is_kept_for_the_check_to_name(monkeypatch):
    monkeypatch.setenv("METERING_MAX_BATCH", "lots")
    monkeypatch.setenv("METERING_LATE_EVENTS", "reject")
    values = MeteringSettings.from_environment(environ.Env())
    assert values["METERING_MAX_BATCH"] == "lots" and values["METERING_LATE_EVENTS"] == "reject"
    assert values["METERING_RETENTION_DAYS"] == 90  # unset: the declared default


def test_settings_are_read_when_used_and_default_to_their_declaration(settings):
    with override_settings(METERING_MAX_BATCH=5):
        assert conf.settings.METERING_MAX_BATCH == 5
    del settings.METERING_MAX_BATCH
    assert conf.settings.METERING_MAX_BATCH == MeteringSettings.METERING_MAX_BATCH.default == 1000



@pytest.mark.django_db
@pytest.mark.usefixtures("operator")
def test_an_event_too_far_ahead_is_told_the_configured_tolerance(settings, make_account, make_metric):
    make_metric("calls")
    account = make_account()
    settings.METERING_FUTURE_TOLERANCE_SECONDS = 600
    now = clock.now()
    ahead = [EventIn(metric="calls", idempotency_key=key, account_id=account.pk, timestamp=now + timedelta(minutes=minutes))
             for key, minutes in (("ok", 9), ("late", 11))]
    result = usage_events_record(events=ahead)
    assert result.accepted == 1
    assert (result.rejected[0].field, result.rejected[0].reason) == ("timestamp", "More than 10 minutes in the future.")
