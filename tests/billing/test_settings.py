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
