"""The quota check's fast lane (metering/quotas/fastlane.py): WSGI requests through the lane and Django's handler.

Each test tells which of the two answered by counting the calls that reached Django.
"""

import pytest

from billing import tenancy
from billing.models import ApiKey
from billing.services import api_key_revoke
from metering.quotas import counters
from metering.quotas.fastlane import QuotaFastLane
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = pytest.mark.django_db
PATH = "/api/v1/quotas/check"


@pytest.fixture
def lane(keep_test_transaction):
    return QuotaFastLane(CountingDjango())


def call(lane, key, body=None, path=PATH, method="POST", **headers):
    return wsgi_call(lane, key, body if body is not None else {"metric": "api_calls"}, path, method, **headers)


@pytest.fixture
def checked(make_metric, subscribe, api_key_for):
    """(account, key): api_calls limited to 10 units (hard cap); the key reads usage."""
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "hard"}])
    return account, api_key_for(account, ["usage:read"])


def test_a_repeated_check_is_answered_before_django_and_says_the_same(lane, checked):
    _, key = checked
    first = call(lane, key, {"metric": "api_calls", "quantity": 3})
    second = call(lane, key, {"metric": "api_calls", "quantity": 3})
    assert lane.app.calls == 1
    assert first[0] == second[0] == 200
    assert second[2] == first[2]
    assert second[1]["X-Request-ID"] and second[1]["Content-Type"] == "application/json"


def test_past_the_hard_cap_the_lane_refuses_with_retry_after_as_django_does(lane, checked):
    _, key = checked
    django = call(lane, key, {"metric": "api_calls", "quantity": 11})
    fast = call(lane, key, {"metric": "api_calls", "quantity": 11})
    assert lane.app.calls == 1
    assert fast[2]["allowed"] is False and fast[2] == django[2]
    assert abs(int(fast[1]["Retry-After"]) - int(django[1]["Retry-After"])) <= 1


def test_an_operator_key_naming_a_resolved_account_takes_the_lane(lane, checked, api_key_for):
    account, _ = checked
    operator_key = api_key_for(None, ["usage:read"])
    body = {"metric": "api_calls", "external_customer_id": account.external_id}
    assert call(lane, operator_key, body)[0] == 200
    answer = call(lane, operator_key, body)
    assert lane.app.calls == 1 and answer[0] == 200 and answer[2]["limit"] == 10


def test_a_revoked_key_is_refused_at_once(lane, checked, django_capture_on_commit_callbacks):
    _, key = checked
    call(lane, key)
    assert call(lane, key)[0] == 200 and lane.app.calls == 1
    with django_capture_on_commit_callbacks(execute=True), tenancy.operator_scope():
        api_key_revoke(api_key=ApiKey.objects.get(prefix=key.split("_")[1]))
    status, _, body = call(lane, key)
    assert status == 401 and "revoked" in body["error"]["message"]
    assert lane.app.calls == 2


def test_deactivating_the_account_stops_its_keys_at_once(lane, checked, django_capture_on_commit_callbacks):
    account, key = checked
    call(lane, key)
    with django_capture_on_commit_callbacks(execute=True), tenancy.operator_scope():
        account.is_active = False
        account.save()
    assert call(lane, key)[0] == 401
    assert lane.app.calls == 2


def test_a_key_without_the_read_scope_is_refused_by_django(lane, checked, api_key_for):
    account, _ = checked
    writer = api_key_for(account, ["usage:write"])
    assert call(lane, writer)[0] == 403
    assert call(lane, writer)[0] == 403
    assert lane.app.calls == 2


def test_a_bad_body_goes_to_django_which_names_the_field(lane, checked):
    _, key = checked
    call(lane, key)
    status, _, body = call(lane, key, {"metric": "api_calls", "quantity": "lots"})
    assert status == 400 and "quantity" in body["error"]["fields"]
    assert lane.app.calls == 2


def test_past_the_throttle_the_lane_defers_to_django_which_answers_429(lane, checked, settings):
    settings.API_THROTTLE_RATE_PER_MINUTE = 3
    _, key = checked
    statuses = [call(lane, key)[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert lane.app.calls == 2  # the first (cache warm-up) and the refused one


def test_with_redis_down_django_answers_from_postgres(lane, checked, redis_down):
    _, key = checked
    status, _, body = call(lane, key)
    assert status == 200 and body["source"] == "postgres"
    assert call(lane, key)[2]["source"] == "postgres"
    assert lane.app.calls == 2


def test_a_missing_counter_is_rebuilt_by_django_and_the_request_counted_once(lane, checked):
    from django.core.cache import cache

    account, key = checked
    call(lane, key)
    counters.client().delete(*counters.client().keys(f"{counters._prefix()}:c:{account.pk}:*"))
    throttle_keys = lambda: counters.client().keys(cache.make_key("throttle:*"))  # noqa: E731
    before = sum(int(counters.client().get(k)) for k in throttle_keys())
    assert call(lane, key)[0] == 200
    assert lane.app.calls == 2
    assert sum(int(counters.client().get(k)) for k in throttle_keys()) == before + 1


def test_other_requests_pass_through_untouched(lane, checked):
    _, key = checked
    assert call(lane, key, path="/health/live", method="GET")[0] == 200
    status, _, body = call(lane, key, path="/api/v1/quotas/consume")
    assert status == 403  # a read-only key may not consume: Django decided
    assert lane.app.calls == 2


def test_the_lane_is_off_when_keys_are_not_cached(lane, checked, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    _, key = checked
    call(lane, key)
    call(lane, key)
    assert lane.app.calls == 2


def test_a_check_with_an_idempotency_key_is_replayed_by_django(lane, checked):
    _, key = checked
    call(lane, key)
    first = call(lane, key, {"metric": "api_calls", "quantity": 2}, HTTP_IDEMPOTENCY_KEY="check-1")
    again = call(lane, key, {"metric": "api_calls", "quantity": 2}, HTTP_IDEMPOTENCY_KEY="check-1")
    assert lane.app.calls == 3
    assert first[2] == again[2]


def test_a_stale_clock_is_re_read_by_the_lane_not_handed_to_django(lane, checked):
    from billing import clock

    _, key = checked
    first = call(lane, key)
    clock.invalidate()  # as once a second in a running process
    again = call(lane, key)
    assert lane.app.calls == 1
    assert again[2] == first[2]


def test_the_lane_loads_its_script_again_when_redis_has_forgotten_it(lane, checked):
    _, key = checked
    call(lane, key)
    counters.client().script_flush()
    assert call(lane, key)[0] == 200
    assert lane.app.calls == 1


def test_a_dropped_redis_connection_costs_one_check_through_django_then_the_lane_reconnects(lane, checked):
    _, key = checked
    call(lane, key)
    call(lane, key)
    connection = lane._held.pair[1]
    connection.send_command("CLIENT", "ID")
    counters.client().client_kill_filter(_id=connection.read_response())
    assert call(lane, key)[0] == 200
    assert lane.app.calls == 2  # the check on the dead connection went to Django
    assert call(lane, key)[0] == 200
    assert lane.app.calls == 2


def test_an_expired_metric_is_re_read_by_the_lane_and_a_deactivated_one_goes_to_django(lane, checked):
    from billing.models import BillableMetric
    from metering.services import quotas

    _, key = checked
    call(lane, key)
    expire = lambda: quotas._metrics.update({c: (0.0, m) for c, (_, m) in quotas._metrics.items()})  # noqa: E731
    expire()
    assert call(lane, key)[0] == 200
    assert lane.app.calls == 1
    BillableMetric.objects.filter(code="api_calls").update(is_active=False)
    expire()
    status, _, body = call(lane, key)
    assert status == 404 and lane.app.calls == 2
