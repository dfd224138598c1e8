"""The fast lanes answer exactly as Django does (billing/api/pipeline.py; docs/architecture.md, "Request pipeline").

Each request is sent twice: through a lane whose key cache is warm (so the lane answers whenever it
can), and to Django's handler alone, with no lane in front. Status, headers and body must be equal.
Nothing is set aside: the values that would differ per request are made the same. Every request
carries the same valid X-Request-ID, which both paths echo (and the API's error bodies repeat),
instead of one minted per request; the throttle's clock is frozen mid-minute for the throttled
key, whose Retry-After and message count the seconds left in the minute. Who answered is told by
counting the requests that reached Django behind the lane.
"""

import itertools
from dataclasses import dataclass

import pytest

from billing import tenancy
from billing.api import pipeline
from billing.models import ApiKey, AuditEntry
from metering.ingest.fastlane import IngestFastLane
from metering.quotas.fastlane import QuotaFastLane
from tests.metering.lanes import CountingDjango, wsgi_raw

pytestmark = pytest.mark.django_db
REQUEST_ID = "compare-request-0001"
_keys = itertools.count()


@dataclass
class Route:
    lane: type
    path: str
    scope: str

    def body(self) -> dict:
        if self.lane is IngestFastLane:  # fresh idempotency keys: the same answer, never duplicates
            return {"events": [{"metric": "calls", "idempotency_key": f"e{next(_keys)}"} for _ in range(2)]}
        return {"metric": "calls", "quantity": 2}


ROUTES = {
    "ingest": Route(IngestFastLane, "/api/v1/usage/events", "usage:write"),
    "quota": Route(QuotaFastLane, "/api/v1/quotas/check", "usage:read"),
}


class Sender:
    """One key; its lane in front of a Django handler, and a Django handler alone. Made after the test's
    settings, since Django's middleware reads some of them (SecurityMiddleware's) when it is built."""

    def __init__(self, route: Route, key: str):
        self.route, self.key = route, key
        self.lane, self.django = route.lane(CountingDjango()), CountingDjango()

    def send(self, app, body=None, key=None, **environ):
        return wsgi_raw(app, key or self.key, self.route.body() if body is None else body, self.route.path,
                        HTTP_X_REQUEST_ID=REQUEST_ID, **environ)

    def through_lane(self, body=None, **environ):
        return self.send(self.lane, body, **environ)

    def through_django(self, body=None, **environ):
        return self.send(self.django, body, **environ)

    @property
    def reached_django(self) -> int:
        return self.lane.app.calls

    def warm(self, **environ) -> None:
        """One request through the lane: Django answers it and caches the key (and the quota's limits)."""
        assert self.through_lane(**environ)[0] in (200, 202)
        assert self.reached_django == 1


@pytest.fixture(params=sorted(ROUTES))
def route(request):
    return ROUTES[request.param]


@pytest.fixture
def make_sender(keep_test_transaction, route, make_metric, subscribe, api_key_for):
    make_metric("calls")
    account = subscribe(limits=[{"metric": "calls", "included": 1000, "cap_mode": "hard"}])
    return lambda: Sender(route, api_key_for(account, [route.scope]))


def assert_same(lane_answer, django_answer):
    (status, headers, body), (django_status, django_headers, django_body) = lane_answer, django_answer
    assert (status, body) == (django_status, django_body)
    assert sorted(headers) == sorted(django_headers)


def test_a_good_request_is_answered_by_the_lane_as_django_answers_it(make_sender):
    sender = make_sender()
    sender.warm()
    lane = sender.through_lane()
    assert sender.reached_django == 1  # the lane answered
    assert lane[0] in (200, 202)
    assert_same(lane, sender.through_django())


def test_a_bad_body_is_answered_by_django_the_same_either_way(make_sender):
    sender = make_sender()
    sender.warm()
    lane = sender.through_lane(b'{"metric": ')
    assert sender.reached_django == 2 and lane[0] == 400
    assert_same(lane, sender.through_django(b'{"metric": '))


def test_a_host_django_refuses_gets_django_s_400_not_the_lane_s_answer(make_sender):
    sender = make_sender()
    sender.warm()
    lane = sender.through_lane(HTTP_HOST="billing.attacker.example")
    assert sender.reached_django == 2 and lane[0] == 400
    assert_same(lane, sender.through_django(HTTP_HOST="billing.attacker.example"))


def test_plain_http_under_ssl_redirect_is_redirected_to_https_as_django_does(make_sender, settings):
    settings.SECURE_SSL_REDIRECT = True
    sender = make_sender()
    sender.warm(**{"wsgi.url_scheme": "https"})
    lane = sender.through_lane()
    assert sender.reached_django == 2 and lane[0] == 301
    assert dict(lane[1])["Location"] == f"https://testserver{sender.route.path}"
    assert_same(lane, sender.through_django())


def test_https_behind_a_proxy_is_answered_by_the_lane_with_django_s_hsts(make_sender, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    sender = make_sender()
    sender.warm(HTTP_X_FORWARDED_PROTO="https")
    lane = sender.through_lane(HTTP_X_FORWARDED_PROTO="https")
    assert sender.reached_django == 1  # the lane answered
    assert dict(lane[1])["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert_same(lane, sender.through_django(HTTP_X_FORWARDED_PROTO="https"))


def test_a_request_in_french_gets_the_same_language_headers(make_sender):
    sender = make_sender()
    sender.warm()
    lane = sender.through_lane(HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9")
    assert sender.reached_django == 1 and dict(lane[1])["Content-Language"] == "fr"
    assert_same(lane, sender.through_django(HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9"))


def test_a_throttled_key_gets_django_s_429_either_way(make_sender, settings, monkeypatch):
    settings.API_THROTTLE_RATE_PER_MINUTE = 2
    monkeypatch.setattr(pipeline, "throttle_clock", lambda: 1_800_000_030.0)  # mid-minute on both paths
    lane_sender, django_sender = make_sender(), make_sender()  # a counter each
    lane_sender.warm()
    assert lane_sender.through_lane()[0] in (200, 202) and lane_sender.reached_django == 1
    lane = lane_sender.through_lane()
    assert lane_sender.reached_django == 2 and lane[0] == 429
    assert [django_sender.through_django()[0] for _ in range(2)] in ([200, 200], [202, 202])
    assert dict(lane[1])["Retry-After"] == "30"
    assert_same(lane, django_sender.through_django())


def test_an_unknown_key_gets_django_s_401_either_way(make_sender):
    sender = make_sender()
    sender.warm()
    unknown = sender.key[:-6] + "000000"  # a well-formed key of the same prefix, whose hash matches nothing
    lane = sender.through_lane(key=unknown)
    assert sender.reached_django == 2 and lane[0] == 401
    assert_same(lane, sender.through_django(key=unknown))


def test_a_write_through_the_lane_is_audited_under_the_key_s_name_as_through_django(
        keep_test_transaction, make_metric, subscribe, api_key_for):
    make_metric("calls")
    make_metric("tokens", aggregation="sum")
    account = subscribe(limits=[{"metric": "tokens", "included": 1000, "cap_mode": "hard"}])
    sender = Sender(ROUTES["ingest"], api_key_for(None, ["usage:write"]))  # an operator key: it may correct

    def correction(key: str) -> dict:
        return {"events": [{"metric": "tokens", "idempotency_key": key, "value": "-4", "account_id": account.pk}]}

    sender.warm(body={"events": [{"metric": "tokens", "idempotency_key": "w", "value": "10",
                                  "account_id": account.pk}]})
    lane = sender.through_lane(correction("by-lane"))
    assert sender.reached_django == 1  # the lane stored it
    assert_same(lane, sender.through_django(correction("by-django")))
    with tenancy.operator_scope():
        key = ApiKey.objects.get(prefix=sender.key.split("_")[1])
        labels = list(AuditEntry.objects.filter(action="usage.corrected").order_by("id")
                      .values_list("actor_type", "actor_id", "actor_label"))
    assert labels == [("api_key", str(key.pk), str(key))] * 2
    assert str(key).startswith("test key (")
