"""Every HTML page carries a Content-Security-Policy without inline scripts; Stripe.js is allowed on
the pages that run it and nowhere else (config/settings/security.py, billing/csp.py)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import tenancy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRIPE = ("https://js.stripe.com", "https://hooks.stripe.com", "https://api.stripe.com")


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def script_sources(directives) -> list[str]:
    return directives.get("script-src", directives["default-src"])


@pytest.fixture
def console_client(make_account, settings):
    from billing.services import membership_add

    settings.PAYMENTS_GATEWAY = "sandbox"
    user = get_user_model().objects.create_user("owner", password="x")
    with tenancy.operator_scope():
        membership_add(account=make_account("Acme"), user=user, role="owner")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_superuser("finance", password="x")
    client = Client()
    client.force_login(user)
    return client


def assert_strict(response):
    directives = policy(response)
    assert script_sources(directives) == ["'self'"], directives
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert not any(origin in source for sources in directives.values() for source in sources for origin in STRIPE)
    return directives


@pytest.mark.parametrize("path", ["/console/login/", "/admin/login/", "/console/password/reset/"])
def test_sign_in_pages_carry_the_strict_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = assert_strict(response)
    assert directives["style-src"] == ["'self'"]


@pytest.mark.parametrize("path", ["/console/", "/console/invoices/", "/console/payment-methods/",
                                  "/console/api-keys/"])
def test_console_pages_carry_the_strict_policy(console_client, path):
    response = console_client.get(path)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.parametrize("path", ["/admin/", "/admin/billing/account/", "/admin/billing/account/add/"])
def test_admin_pages_carry_the_strict_policy(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200
    assert_strict(response)


def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    directives = policy(page)
    assert script_sources(directives) == ["'self'"]
    assert "'unsafe-inline'" in directives["style-src"]  # the vendored page's <style> block
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script on the docs page"
    script = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    started = client.get(script)
    assert started.status_code == 200 and "SwaggerUIBundle" in started.content.decode()


def test_the_card_page_allows_stripe_js_and_no_other_page_does(console_client):
    directives = policy(console_client.get("/console/payment-methods/add/"))
    assert "https://js.stripe.com" in directives["script-src"] and "'self'" in directives["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(directives["frame-src"])
    assert "https://api.stripe.com" in directives["connect-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert_strict(console_client.get("/console/payment-methods/"))


def test_a_stripe_stand_in_is_allowed_where_stripe_is(console_client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    directives = policy(console_client.get("/console/payment-methods/add/"))
    assert "http://127.0.0.1:8420" in directives["connect-src"]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        html = path.read_text()
        for match in re.finditer(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", html):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"""\son[a-z]+\s*=\s*["']""", html):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert not offenders, offenders
