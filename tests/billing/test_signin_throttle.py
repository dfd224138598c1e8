"""Console and admin sign-in refuse a username after repeated failures (billing/signin.py)."""

import uuid

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(settings):
    settings.SIGNIN_FAILURE_LIMIT = 3
    # A name of its own: the counters live in Redis, which tests do not empty.
    return get_user_model().objects.create_user(f"alice-{uuid.uuid4().hex[:8]}", password="right-password-123")


def sign_in(client, password, url="/console/login/", address="10.0.0.1"):
    user = get_user_model().objects.get(username__startswith="alice-")
    return client.post(url, {"username": user.username, "password": password}, REMOTE_ADDR=address)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_after_the_limit_even_the_right_password_is_refused(client, alice):
    for _ in range(3):
        assert sign_in(client, "wrong").status_code == 200
    response = sign_in(client, "right-password-123")
    assert not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()


def test_below_the_limit_the_right_password_works_and_clears_the_count(client, alice):
    for _ in range(2):
        sign_in(client, "wrong")
    assert sign_in(client, "right-password-123").status_code == 302 and signed_in(client)
    client.logout()
    for _ in range(2):
        sign_in(client, "wrong")
    assert sign_in(client, "right-password-123").status_code == 302  # the success reset this address's count


def test_another_address_is_refused_only_when_failures_add_up_from_everywhere(client, alice):
    for _ in range(3):
        sign_in(client, "wrong", address="10.0.0.1")
    assert sign_in(client, "right-password-123", address="10.0.0.2").status_code == 302
    client.logout()
    for n in range(12):
        sign_in(client, "wrong", address=f"10.0.1.{n}")
    sign_in(client, "right-password-123", address="10.0.0.3")
    assert not signed_in(client)


def test_the_admin_sign_in_is_throttled_too(client, alice):
    alice.is_staff = True
    alice.save()
    for _ in range(3):
        sign_in(client, "wrong", url="/admin/login/")
    response = sign_in(client, "right-password-123", url="/admin/login/")
    assert not signed_in(client) and "Too many failed sign-ins" in response.content.decode()
