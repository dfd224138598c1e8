"""The console's frame: the operator's branding from settings (without loosening the CSP), navigation by
role with the current page marked, htmx served from our own static files, formatting per language."""

from decimal import Decimal
from pathlib import Path

import pytest

from billing.branding import accent_palette, contrast
from billing.display import Display
from tests.console_world import page_text, signed_in, world  # noqa: F401
from tests.helpers import settings_check

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_accent_colour_is_served_as_a_stylesheet(client, settings):
    settings.OPERATOR_ACCENT_COLOR = "#0a7d3b"
    response = client.get("/console/brand.css")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    assert "--accent:#0a7d3b;" in response.content.decode()
    assert "max-age=" in response["Cache-Control"]


@pytest.mark.parametrize("colour", ["#ffcc00", "#2f5bea", "#e0f0ff", "#111111"])
def test_any_accent_gives_readable_links_and_buttons(colour):
    palette = accent_palette(colour)
    assert contrast(palette["accent-text"], "#ffffff") >= 4.5  # links on a white card
    assert contrast(palette["accent"], palette["accent-ink"]) >= 4.5  # a button's label on its fill


def test_a_colour_that_is_not_rrggbb_is_refused_at_start_up(settings):
    settings.OPERATOR_ACCENT_COLOR = "red;}body{display:none"
    assert "OPERATOR_ACCENT_COLOR" in settings_check("billing").get("billing.E005", "")


def test_the_logo_shows_when_set_and_is_served_from_our_origin(world, settings, tmp_path):  # noqa: F811
    client = signed_in(world.owner)
    settings.OPERATOR_LOGO = ""
    assert 'class="logo"' not in client.get("/console/").content.decode()
    assert client.get("/console/brand/logo").status_code == 404
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    settings.OPERATOR_LOGO = str(logo)
    assert '<img src="/console/brand/logo" alt="" class="logo"' in client.get("/console/").content.decode()
    served = client.get("/console/brand/logo")
    assert served.status_code == 200 and served["Content-Type"] == "image/svg+xml"
    settings.OPERATOR_LOGO = str(tmp_path / "notes.txt")
    (tmp_path / "notes.txt").write_text("not an image")
    assert client.get("/console/brand/logo").status_code == 404


@pytest.mark.parametrize(("role", "keys_link"), [("owner", True), ("billing_manager", False), ("viewer", False)])
def test_the_navigation_by_role_marks_the_current_page(world, role, keys_link):  # noqa: F811
    html = signed_in(world.user(role)).get("/console/usage/").content.decode()
    assert '<a href="/console/usage/" aria-current="page">Usage</a>' in html
    assert '<a href="/console/" >Overview</a>' in html
    assert ('href="/console/api-keys/"' in html) is keys_link


def test_the_account_switcher_shows_only_with_a_choice(world):  # noqa: F811
    from billing import tenancy
    from billing.services import membership_add

    assert 'id="account-switch"' not in signed_in(world.viewer).get("/console/").content.decode()
    with tenancy.operator_scope():
        membership_add(account=world.globex, user=world.viewer, role="viewer")
    html = signed_in(world.viewer).get("/console/").content.decode()
    assert 'id="account-switch"' in html and "Globex Inc</option>" in html


def test_htmx_is_served_from_our_static_files_configured_for_the_csp(world):  # noqa: F811
    html = signed_in(world.owner).get("/console/").content.decode()
    assert '<script src="/static/js/vendor/htmx-2.0.11.min.js" defer></script>' in html
    assert (ROOT / "static/js/vendor/htmx-2.0.11.min.js").read_text().startswith("var htmx=")
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html
    assert "<script src=\"http" not in html and "<style" not in html and " style=" not in html


@pytest.mark.parametrize(("language", "money", "number", "percent"), [
    ("en", "$1,234.50", "1,100,000", "82.5%"),
    ("fr", "1\u202f234,50\xa0$US", "1\u202f100\u202f000", "82,5\xa0%"),
    ("de", "1.234,50\xa0$", "1.100.000", "82,5\xa0%"),
])
def test_numbers_read_in_each_language(language, money, number, percent):
    d = Display(language)
    assert (d.money(123_450, "USD"), d.number(Decimal("1100000")), d.percent(Decimal("82.5"))) == (
        money, number, percent)


def test_a_price_per_block_reproduces_the_amount():
    d = Display("en")
    assert d.price_per(Decimal("0.50"), "USD", block=1000, unit="impressions") == "$0.50 per 1,000 impressions"
    assert d.price_per(Decimal("0.000001"), "USD", unit="call") == "$0.000001 per call"


def test_the_usage_summary_never_shows_metric_codes(world):  # noqa: F811
    text = page_text(signed_in(world.owner).get("/console/"))
    assert "llm_tokens" not in text and "api_calls" not in text
