"""The request pipeline's steps (billing/api/pipeline.py) decide as Django does: the host check as
`HttpRequest.get_host()`, the scheme check as SecurityMiddleware, the bearer parser as the API's
authentication always has. And the lanes are loaded from FAST_LANES, by a kernel that imports no app."""

import ast
import io
from pathlib import Path

import pytest
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.middleware.security import SecurityMiddleware

from billing.api import pipeline
from billing.api.fastlane import FastLane, with_fast_lanes

ROOT = Path(__file__).resolve().parents[2]


def environ(**values):
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/usage/events", "SERVER_NAME": "testserver",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), **values}


def django_accepts_host(env) -> bool:
    try:
        WSGIRequest(dict(env)).get_host()
    except DisallowedHost:
        return False
    return True


def django_redirects(env) -> bool:
    return SecurityMiddleware(lambda request: None).process_request(WSGIRequest(dict(env))) is not None


HOSTS = [
    {"HTTP_HOST": "api.example.com"},
    {"HTTP_HOST": "api.example.com:8443"},
    {"HTTP_HOST": "API.EXAMPLE.COM"},
    {"HTTP_HOST": "eu.example.org"},
    {"HTTP_HOST": "example.org"},
    {"HTTP_HOST": "evil.example.com"},
    {"HTTP_HOST": "api.example.com.evil.net"},
    {"HTTP_HOST": "bad host!"},
    {"HTTP_HOST": ""},
    {"HTTP_HOST": "[::1]:80"},
    {"SERVER_NAME": "api.example.com", "SERVER_PORT": "8000"},
    {"SERVER_NAME": "elsewhere.net", "SERVER_PORT": "80"},
    {"HTTP_HOST": "evil.net", "HTTP_X_FORWARDED_HOST": "api.example.com"},
    {"HTTP_HOST": "api.example.com", "HTTP_X_FORWARDED_HOST": "evil.net"},
]


@pytest.mark.parametrize("forwarded_host", [False, True])
@pytest.mark.parametrize("host", HOSTS)
def test_the_host_check_accepts_what_django_accepts(settings, host, forwarded_host):
    settings.ALLOWED_HOSTS = ["api.example.com", ".example.org", "[::1]"]
    settings.USE_X_FORWARDED_HOST = forwarded_host
    env = environ(**host)
    assert pipeline.host_allowed(env) == django_accepts_host(env)


def test_with_debug_on_and_no_allowed_hosts_localhost_is_allowed_as_by_django(settings):
    settings.DEBUG, settings.ALLOWED_HOSTS = True, []
    for host in ("localhost", "api.localhost", "127.0.0.1", "example.com"):
        env = environ(HTTP_HOST=host)
        assert pipeline.host_allowed(env) == django_accepts_host(env), host
    assert pipeline.host_allowed(environ(HTTP_HOST="api.localhost"))


def test_a_changed_allowed_hosts_is_seen_at_once(settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    assert pipeline.host_allowed(environ(HTTP_HOST="api.example.com"))
    settings.ALLOWED_HOSTS = ["billing.example.com"]
    assert not pipeline.host_allowed(environ(HTTP_HOST="api.example.com"))


SCHEMES = [
    {},
    {"wsgi.url_scheme": "https"},
    {"HTTP_X_FORWARDED_PROTO": "https"},
    {"HTTP_X_FORWARDED_PROTO": "https, http"},
    {"HTTP_X_FORWARDED_PROTO": "http", "wsgi.url_scheme": "https"},
    {"PATH_INFO": "/health/live"},
    {"PATH_INFO": "/health/live/more"},
    {"PATH_INFO": "/metrics"},
    {"SCRIPT_NAME": "/billing", "PATH_INFO": "/api/v1/quotas/check"},
]


@pytest.mark.parametrize("behind_proxy", [False, True])
@pytest.mark.parametrize("redirect", [False, True])
@pytest.mark.parametrize("values", SCHEMES)
def test_the_scheme_check_redirects_what_security_middleware_redirects(settings, values, redirect, behind_proxy):
    settings.SECURE_SSL_REDIRECT = redirect
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if behind_proxy else None
    env = environ(HTTP_HOST="testserver", **values)
    assert pipeline.https_redirect_due(env) == django_redirects(env)


@pytest.mark.parametrize("header, parsed", [
    ("", None),
    ("Bearer bk_abcdefghijkl_secret", ("abcdefghijkl", "bk_abcdefghijkl_secret")),
    ("bearer  bk_abcdefghijkl_secret ", ("abcdefghijkl", "bk_abcdefghijkl_secret")),
    ("BEARER bk_abcdefghijkl_secret", ("abcdefghijkl", "bk_abcdefghijkl_secret")),
])
def test_the_bearer_parser_takes_the_scheme_in_any_case(header, parsed):
    assert pipeline.bearer_key(header) == parsed


@pytest.mark.parametrize("header, message", [
    ("Basic dXNlcjpwYXNz", "Use 'Authorization: Bearer <api key>'."),
    ("Bearer", "Use 'Authorization: Bearer <api key>'."),
    ("Bearer   ", "Use 'Authorization: Bearer <api key>'."),
    ("Bearer bk_short_secret", "Malformed API key."),
    ("Bearer sk_abcdefghijkl_secret", "Malformed API key."),
])
def test_the_bearer_parser_says_what_is_wrong(header, message):
    with pytest.raises(pipeline.CredentialsRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        pipeline.bearer_key(header)


def test_a_valid_request_id_is_kept_and_anything_else_replaced():
    assert pipeline.request_id_from("abc-123:def.456") == "abc-123:def.456"
    for bad in ("", "short", "has space in it", "x" * 65, "semi;colon-id"):
        minted = pipeline.request_id_from(bad)
        assert minted != bad and len(minted) == 32 and int(minted, 16) >= 0


class Recorder(FastLane):
    path, max_body, view, script = "/nowhere", 1, object, "return false"


class OuterRecorder(Recorder):
    pass


def test_the_lanes_named_in_fast_lanes_are_stacked_outermost_first(settings):
    settings.FAST_LANES = [f"{__name__}.OuterRecorder", f"{__name__}.Recorder"]
    app = with_fast_lanes(django := object())
    assert type(app) is OuterRecorder and type(app.app) is Recorder and app.app.app is django
    assert with_fast_lanes(django, lanes=[]) is django


@pytest.mark.parametrize("path, complaint", [
    ("metering.nowhere.Lane", "cannot be loaded"),
    ("billing.api.pipeline.KnownKeys", "is not a billing.api.fastlane.FastLane"),
])
def test_a_lane_that_does_not_load_stops_the_process_naming_it(settings, path, complaint):
    settings.FAST_LANES = [path]
    with pytest.raises(ImproperlyConfigured, match=f"FAST_LANES: '{path}' {complaint}"):
        with_fast_lanes(object())


REQUEST_PATH = ["billing/api/pipeline.py", "billing/api/fastlane.py", "billing/api/keycache.py",
                "billing/api/authentication.py", "billing/api/throttling.py", "billing/middleware.py",
                "billing/redis_client.py"]


@pytest.mark.parametrize("module", REQUEST_PATH)
def test_the_request_pipeline_imports_no_app_above_the_kernel(module):
    tree = ast.parse((ROOT / module).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] in ("metering", "invoicing", "payments")}
