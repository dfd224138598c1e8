"""/metrics behind a reverse proxy on the same host: the proxy connects from localhost, but the
visitor it forwards is not local, so without the token they are refused."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", [{"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
                                    {"HTTP_FORWARDED": "for=203.0.113.9"}])
def test_a_request_forwarded_by_a_local_proxy_is_not_local(header):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics", **header).status_code == 403


@override_settings(METRICS_TOKEN="scrape-token")
def test_a_forwarded_request_with_the_token_is_served():
    response = Client(REMOTE_ADDR="127.0.0.1").get(
        "/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token")
    assert response.status_code == 200
