"""Production settings refuse unsafe configurations."""

import os
import subprocess
import sys

import pytest

SAFE_KEY = "k" * 50


def load_production(**env):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=environment,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env, complaint", [
    ({"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": SAFE_KEY}, "DJANGO_DEBUG must be off"),
    ({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "dev-insecure-change-me"}, "DJANGO_SECRET_KEY must be set"),
])
def test_production_refuses_to_start(env, complaint):
    result = load_production(**env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_starts_with_a_real_secret_and_debug_off():
    result = load_production(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=SAFE_KEY)
    assert result.returncode == 0, result.stderr


def test_behind_a_tls_proxy_the_forwarded_proto_can_be_trusted():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))")
    for trusted, expected in (("true", "('HTTP_X_FORWARDED_PROTO', 'https')"), ("false", "None")):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.development",
               "DJANGO_TRUST_X_FORWARDED_PROTO": trusted}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


def production_settings(*names, **env) -> list[str]:
    code = ("import django; django.setup(); from django.conf import settings; "
            f"print(*[repr(getattr(settings, name)) for name in {list(names)!r}], sep='\\n')")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_DEBUG": "false",
                   "DJANGO_SECRET_KEY": SAFE_KEY, **env}
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_HSTS_SECONDS", "DJANGO_HSTS_INCLUDE_SUBDOMAINS"):
        if name not in env:
            environment.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[:len(names)]


def test_production_redirects_to_https_and_sends_hsts_by_default():
    redirect, hsts, subdomains = production_settings(
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS")
    assert (redirect, hsts, subdomains) == ("True", str(365 * 24 * 3600), "False")
    assert production_settings("SECURE_HSTS_INCLUDE_SUBDOMAINS", DJANGO_HSTS_INCLUDE_SUBDOMAINS="true") == ["True"]
    assert production_settings("SECURE_SSL_REDIRECT", DJANGO_SECURE_SSL_REDIRECT="false") == ["False"]


@pytest.mark.django_db
def test_health_checks_answer_over_plain_http_when_everything_else_is_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code in (200, 503)  # answered, not redirected
    redirected = client.get("/console/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
    assert client.get("/console/login/", secure=True).status_code == 200


def test_production_refuses_a_short_rls_scope_secret():
    result = load_production(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=SAFE_KEY, RLS_SCOPE_SECRET="short")
    assert result.returncode != 0 and "RLS_SCOPE_SECRET" in result.stderr
