"""Paths, query strings, methods and cursors a client sends are answered with a 4xx in the API's
error shape: a NUL anywhere in the path or the query (400 naming it), an unknown path whatever the
method (404, never Django's CSRF page), a wrong method on a known path (405), a cursor the API did
not make (400 naming `cursor`)."""

import base64

import pytest
from django.test import Client

from billing import tenancy
from billing.models import ApiKey, BillableMetric

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def client():
    """A client that checks CSRF as a browser-less API client meets it: it sends no token."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.fixture
def operator(api_key_for):
    key = api_key_for(None, ["admin", "billing:read", "billing:write", "usage:read", "usage:write"])
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == JSON
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields", "request_id"} and error["code"] == code
    return error


@pytest.mark.parametrize("path", [
    "/api/v1/usage/calls%00",
    "/api/v1/plans/pro%00",
    "/api/v1/invoices/1%00/pdf",
    "/api/v1/%00",
])
def test_a_nul_in_the_path_is_a_400_naming_the_path(client, operator, make_account, path):
    with tenancy.operator_scope():
        BillableMetric.objects.create(code="calls", name="calls", aggregation="count")
    error = assert_error(client.get(path, **operator), 400, "validation_error")
    assert list(error["fields"]) == ["path"]


@pytest.mark.parametrize("path, query, field", [
    ("/api/v1/payments", "status=paid%00", "status"),
    ("/api/v1/refunds", "status=%00", "status"),
    ("/api/v1/audit-entries", "action=a%00b", "action"),
    ("/api/v1/audit-entries", "object_type=x&action=%00", "action"),
    ("/api/v1/plans", "na%00me=1", "na\\u0000me"),
])
def test_a_nul_in_the_query_string_is_a_400_naming_the_parameter(client, operator, path, query, field):
    error = assert_error(client.get(f"{path}?{query}", **operator), 400, "validation_error")
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize("method, path", [
    *[(method, path) for method in ("POST", "PUT", "PATCH", "DELETE")
      for path in ("/api/v1/no-such-thing", "/api/v1/", "/api/v1", "/api/v1/plans/a/b/c")],
    ("GET", "/api/v1"),
])
def test_an_unknown_api_path_is_a_json_404_whatever_the_method_and_the_console_keeps_csrf(
        client, django_user_model, method, path):
    assert_error(client.generic(method, path, b"{}", content_type=JSON), 404, "not_found")
    # API paths need no CSRF token (bearer keys, no cookies); the console's forms still do.
    client.force_login(django_user_model.objects.create_user("csrf-user", password="x"))
    assert client.post("/console/accounts/switch/", {"account_id": "1"}).status_code == 403


def cursor(token: bytes) -> str:
    return base64.b64encode(token).decode()


@pytest.mark.parametrize("token", [cursor(b"p=abc"), cursor(b"o=-1"), cursor(b"r=x"), "!!!", "",
                                   cursor(b"p=1") + ":forged-signature"])
def test_a_cursor_the_api_did_not_make_is_a_400_naming_the_cursor(client, operator, token):
    error = assert_error(client.get(f"/api/v1/accounts?cursor={token}", **operator), 400, "validation_error")
    assert list(error["fields"]) == ["cursor"]


def test_a_page_s_own_cursors_lead_to_the_next_and_previous_pages(client, operator, api_key_for, make_account):
    account = make_account()
    for _ in range(5):
        api_key_for(account, ["usage:read"])
    with tenancy.operator_scope():
        ids = list(ApiKey.objects.order_by("-id").values_list("id", flat=True))
    first = client.get("/api/v1/api-keys?limit=2", **operator).json()
    second = client.get(first["next"], **operator).json()
    back = client.get(second["previous"], **operator).json()
    assert [r["id"] for r in first["results"]] == ids[:2]
    assert [r["id"] for r in second["results"]] == ids[2:4]
    assert back["results"] == first["results"]
    tampered = second["next"].replace("cursor=", "cursor=x")
    assert_error(client.get(tampered, **operator), 400, "validation_error")


def test_the_api_answers_json_whatever_the_client_accepts(client, operator):
    response = client.get("/api/v1/plans", HTTP_ACCEPT="application/pdf", **operator)
    assert response.status_code == 200 and response["Content-Type"] == JSON


def test_a_content_length_that_is_not_a_number_is_a_400(client, operator):
    response = client.generic("POST", "/api/v1/accounts", b"{}", content_type=JSON, CONTENT_LENGTH="ten",
                              **operator)
    assert_error(response, 400, "bad_request")
