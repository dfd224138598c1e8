"""Usage ingestion's fast lane (metering/ingest/fastlane.py): WSGI requests through the lane and Django.

Each test tells which of the two answered by counting the calls that reached Django.
"""

import pytest

from billing import tenancy
from billing.context import current_actor
from billing.models import ApiKey
from billing.services import api_key_revoke
from metering.ingest import fastlane
from metering.ingest.fastlane import IngestFastLane
from metering.selectors import stored_event_count
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = pytest.mark.django_db
PATH = "/api/v1/usage/events"


@pytest.fixture
def lane(keep_test_transaction):
    return IngestFastLane(CountingDjango())


def call(lane, key, body, **headers):
    return wsgi_call(lane, key, body, PATH, **headers)


def batch(prefix: str, count: int = 3, **extra) -> dict:
    return {"events": [{"metric": "calls", "idempotency_key": f"{prefix}-{i}", **extra} for i in range(count)]}


@pytest.fixture
def sender(make_metric, make_account, api_key_for):
    """(account, key): an account key that writes usage of the count metric `calls`."""
    make_metric("calls")
    account = make_account()
    return account, api_key_for(account, ["usage:write"])


def stored(account) -> int:
    with tenancy.operator_scope():
        return stored_event_count(account_id=account.pk)


def test_a_batch_after_the_first_is_stored_by_the_lane_with_django_s_answer(lane, sender):
    account, key = sender
    django = call(lane, key, batch("a"))
    fast = call(lane, key, batch("b"))
    assert lane.app.calls == 1
    assert django[0] == fast[0] == 202
    assert fast[2] == django[2] == {"received": 3, "accepted": 3, "duplicates": [], "rejected": []}
    # Not repeated: the locale middleware's Content-Language and Vary, meaningless for this JSON answer.
    assert {name for name in django[1] if name not in ("Vary", "Content-Language")} <= set(fast[1])
    assert fast[1]["Content-Type"] == "application/json" and fast[1]["X-Request-ID"]
    assert stored(account) == 6


def test_duplicates_and_rejected_events_are_answered_as_django_does(lane, sender):
    account, key = sender
    call(lane, key, batch("a"))
    body = batch("a", 4)
    body["events"].append({"metric": "nope", "idempotency_key": "x"})
    body["events"].append({"metric": "calls", "idempotency_key": "old", "timestamp": "2001-01-01T00:00:00Z"})
    status, _, answer = call(lane, key, body)
    assert lane.app.calls == 1 and status == 202
    assert answer["accepted"] == 1 and answer["duplicates"] == [0, 1, 2]
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [(4, "metric"), (5, "timestamp")]
    assert stored(account) == 4


def test_the_key_s_scope_applies_an_account_key_cannot_write_for_another_account(lane, sender, make_account):
    _, key = sender
    other = make_account()
    call(lane, key, batch("a"))
    status, _, answer = call(lane, key, batch("b", 1, account_id=other.pk))
    assert lane.app.calls == 2 and status == 422  # nothing valid: Django answered
    assert answer["rejected"][0]["field"] == "account_id"
    assert stored(other) == 0


def test_the_lane_sets_the_key_s_scope_and_actor_and_clears_them(lane, sender, monkeypatch):
    account, key = sender
    call(lane, key, batch("a"))
    seen = []
    original = fastlane.usage_batch_store

    def spy(*args, **kwargs):
        seen.append((tenancy.current(), current_actor()))
        return original(*args, **kwargs)

    monkeypatch.setattr(fastlane, "usage_batch_store", spy)
    call(lane, key, batch("b"))
    assert lane.app.calls == 1
    (scope, actor), = seen
    assert scope.account_id == account.pk and not scope.operator
    assert actor.type == "api_key"
    assert tenancy.current().account_id is None and current_actor().type == "system"


def test_an_operator_key_names_accounts_by_external_id(lane, make_metric, make_account, api_key_for):
    make_metric("calls")
    account = make_account(external_id="cust-9")
    key = api_key_for(None, ["usage:write"])
    call(lane, key, batch("a", 2, external_customer_id="cust-9"))
    status, _, answer = call(lane, key, batch("b", 2, external_customer_id="cust-9"))
    assert lane.app.calls == 1 and status == 202 and answer["accepted"] == 2
    assert stored(account) == 4


def test_a_revoked_key_is_refused_at_once(lane, sender, django_capture_on_commit_callbacks):
    _, key = sender
    call(lane, key, batch("a"))
    assert call(lane, key, batch("b"))[0] == 202 and lane.app.calls == 1
    with django_capture_on_commit_callbacks(execute=True), tenancy.operator_scope():
        api_key_revoke(api_key=ApiKey.objects.get(prefix=key.split("_")[1]))
    assert call(lane, key, batch("c"))[0] == 401
    assert lane.app.calls == 2


def test_a_key_without_the_write_scope_is_refused_by_django(lane, sender, api_key_for):
    account, _ = sender
    reader = api_key_for(account, ["usage:read"])
    assert call(lane, reader, batch("a"))[0] == 403
    assert call(lane, reader, batch("b"))[0] == 403
    assert lane.app.calls == 2


def test_a_malformed_body_or_a_batch_with_nothing_valid_goes_to_django(lane, sender):
    _, key = sender
    call(lane, key, batch("a"))
    status, _, answer = call(lane, key, b"{not json")
    assert status == 400 and "body" in answer["error"]["fields"]
    status, _, answer = call(lane, key, {"events": [{"metric": "nope", "idempotency_key": "k"}]})
    assert status == 422 and answer["rejected"][0]["field"] == "metric"
    assert lane.app.calls == 3


def test_past_the_throttle_the_lane_defers_to_django_which_answers_429(lane, sender, settings):
    settings.API_THROTTLE_RATE_PER_MINUTE = 3
    _, key = sender
    statuses = [call(lane, key, batch(f"b{i}", 1))[0] for i in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert lane.app.calls == 2


def test_with_redis_down_django_stores_the_batch(lane, sender, redis_down):
    account, key = sender
    assert call(lane, key, batch("a"))[0] == 202
    assert call(lane, key, batch("b"))[0] == 202
    assert lane.app.calls == 2 and stored(account) == 6


def test_an_error_while_storing_is_answered_by_django_and_each_event_counts_once(lane, sender, monkeypatch):
    account, key = sender
    call(lane, key, batch("a"))
    original = fastlane.usage_batch_store

    def store_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("after the write")

    monkeypatch.setattr(fastlane, "usage_batch_store", store_then_fail)
    status, _, answer = call(lane, key, batch("b"))
    assert lane.app.calls == 2 and status == 202
    assert answer["accepted"] == 0 and answer["duplicates"] == [0, 1, 2]
    assert stored(account) == 6


def test_metering_switched_off_or_an_idempotency_key_goes_to_django(lane, sender, settings):
    _, key = sender
    call(lane, key, batch("a"))
    first = call(lane, key, batch("b"), HTTP_IDEMPOTENCY_KEY="batch-b")
    again = call(lane, key, batch("b"), HTTP_IDEMPOTENCY_KEY="batch-b")
    assert lane.app.calls == 3 and first[2] == again[2]
    settings.USAGE_METERING_ENABLED = False
    assert call(lane, key, batch("c"))[0] == 404
    assert lane.app.calls == 4


def test_events_stored_by_the_lane_count_in_the_live_quota_counters(lane, make_metric, subscribe, api_key_for,
                                                                     django_capture_on_commit_callbacks):
    from metering.quotas import counters

    make_metric("calls")
    account = subscribe(limits=[{"metric": "calls", "included": 100, "cap_mode": "hard"}])
    key = api_key_for(account, ["usage:write", "usage:read"])
    call(lane, key, batch("a", 1))
    assert wsgi_call(lane, key, {"metric": "calls"}, "/api/v1/quotas/check")[2]["usage"] == "1"  # counter built
    with django_capture_on_commit_callbacks(execute=True):
        call(lane, key, batch("b", 2))
    assert lane.app.calls == 2
    totals = [counters.client().get(k) for k in counters.client().keys(f"{counters._prefix()}:c:{account.pk}:*")]
    assert sum(int(float(v)) for v in totals if v) == 3
