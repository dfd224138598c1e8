"""Console and admin sign-in: escalating delays per username and address, and per address,
that an outsider cannot turn into a lock-out of someone signing in from elsewhere
(billing/services/signin.py)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from billing import clock

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "right-password-123"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SIGNIN_FAILURE_LIMIT = 3
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 10
    settings.SIGNIN_MAX_DELAY_SECONDS = 60
    settings.SIGNIN_FAILURE_WINDOW_SECONDS = 3600


def make_user(**fields):
    return get_user_model().objects.create_user(f"user-{uuid.uuid4().hex[:8]}", password=PASSWORD, **fields)


@pytest.fixture
def alice():
    return make_user()


def sign_in(client, user, password, *, at, address="10.0.0.1", url="/console/login/"):
    client.logout()
    with clock.frozen(at):
        response = client.post(url, {"username": user.username, "password": password}, REMOTE_ADDR=address)
    return response, "_auth_user_id" in client.session


def refusal(response) -> str:
    return response.content.decode() if response.status_code == 200 else ""


def test_an_attacker_failing_from_many_addresses_does_not_stop_the_owner_signing_in_from_theirs(client, alice):
    for n in range(100):
        sign_in(client, alice, f"guess-{n}", at=T0 + timedelta(seconds=n), address=f"203.0.113.{n % 20}")
    _, signed_in = sign_in(client, alice, PASSWORD, at=T0 + timedelta(seconds=100), address="198.51.100.7")
    assert signed_in


def test_past_the_limit_each_attempt_from_that_address_waits_twice_as_long(client, alice):
    at = T0
    for n in range(3):
        assert sign_in(client, alice, "wrong", at=at)[0].status_code == 200
    for wait in (2, 4, 8, 16, 32, 60, 60):  # up to SIGNIN_MAX_DELAY_SECONDS
        response, _ = sign_in(client, alice, "wrong", at=at + timedelta(seconds=wait - 1))
        assert "Try again in 1 second." in refusal(response)
        # Waiting does not count as a failure: the refused attempt changed nothing.
        response, _ = sign_in(client, alice, "wrong", at=at + timedelta(seconds=wait))
        assert "Too many failed sign-ins" not in refusal(response)
        at += timedelta(seconds=wait)


def test_while_waiting_even_the_right_password_is_refused_and_after_it_signs_in(client, alice):
    for _ in range(3):
        sign_in(client, alice, "wrong", at=T0)
    response, signed_in = sign_in(client, alice, PASSWORD, at=T0 + timedelta(seconds=1))
    assert not signed_in and "Try again in 1 second." in refusal(response)
    _, signed_in = sign_in(client, alice, PASSWORD, at=T0 + timedelta(seconds=2))
    assert signed_in
    # The success forgot the failures: three more are free again.
    for _ in range(3):
        assert "Too many" not in refusal(sign_in(client, alice, "wrong", at=T0 + timedelta(seconds=3))[0])


def test_failures_are_forgotten_an_hour_after_the_last(client, alice):
    for _ in range(5):
        sign_in(client, alice, "wrong", at=T0)
    _, signed_in = sign_in(client, alice, PASSWORD, at=T0 + timedelta(seconds=3600))
    assert signed_in


def test_spraying_usernames_from_one_address_delays_that_address_only(client):
    # Sign-ins that succeed do not count against their address (an office behind one address).
    for _ in range(12):
        assert sign_in(client, make_user(), PASSWORD, at=T0, address="203.0.113.9")[1]
    users = [make_user() for _ in range(11)]
    for user in users[:10]:
        sign_in(client, user, "Summer2026!", at=T0, address="203.0.113.9")
    response, signed_in = sign_in(client, users[10], PASSWORD, at=T0 + timedelta(seconds=1), address="203.0.113.9")
    assert not signed_in and "Try again in 1 second." in refusal(response)
    _, signed_in = sign_in(client, users[10], PASSWORD, at=T0 + timedelta(seconds=1), address="198.51.100.7")
    assert signed_in


def test_with_redis_down_sign_in_is_still_throttled(client, alice, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    for _ in range(3):
        sign_in(client, alice, "wrong", at=T0)
    response, signed_in = sign_in(client, alice, PASSWORD, at=T0 + timedelta(seconds=1))
    assert not signed_in and "Try again in 1 second." in refusal(response)


def test_the_admin_sign_in_is_throttled_too(client):
    staff = make_user(is_staff=True)
    for _ in range(3):
        sign_in(client, staff, "wrong", at=T0, url="/admin/login/")
    response, signed_in = sign_in(client, staff, PASSWORD, at=T0 + timedelta(seconds=1), url="/admin/login/")
    assert not signed_in and "Try again in 1 second." in refusal(response)
    _, signed_in = sign_in(client, staff, PASSWORD, at=T0 + timedelta(seconds=1), address="10.9.9.9",
                           url="/admin/login/")
    assert signed_in


def test_an_attempt_counts_from_the_moment_it_starts_so_a_parallel_burst_gets_no_more_guesses(alice):
    from billing.services.signin import SignInThrottled, signin_attempt_begin

    with clock.frozen(T0):
        for _ in range(3):  # three guesses in flight, none answered yet
            signin_attempt_begin(username=alice.username, address="203.0.113.9")
        with pytest.raises(SignInThrottled) as refused:
            signin_attempt_begin(username=alice.username, address="203.0.113.9")
    assert refused.value.wait_seconds == 2


def test_the_hourly_job_forgets_counters_past_the_window(client, alice):
    from billing.models import SignInThrottle
    from billing.tasks import signin_throttles_prune

    sign_in(client, alice, "wrong", at=T0)
    sign_in(client, alice, "wrong", at=T0 + timedelta(minutes=30), address="10.0.0.2")
    with clock.frozen(T0 + timedelta(minutes=61)):
        assert signin_throttles_prune.apply().get() == 2  # the first address's pair and address rows
    assert SignInThrottle.objects.count() == 2
