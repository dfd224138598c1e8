"""Every environment variable the settings read is documented and listed in .env.example; every
app setting (declared in <app>/conf.py) is documented with its own default and docs line."""

import re
from pathlib import Path

import pytest

from billing.conf import BillingSettings
from invoicing.conf import InvoicingSettings
from metering.conf import MeteringSettings
from payments.conf import PaymentsSettings
from webhooks.conf import WebhooksSettings

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""env(?:\.(?:str|bool|int|list|path|float|json|url|db_url))?\(\s*["']([A-Z][A-Z0-9_]+)["']""")
APPS = (BillingSettings, MeteringSettings, InvoicingSettings, PaymentsSettings, WebhooksSettings)
DECLARED = [setting for app in APPS for setting in app.declared()]


def variables_read() -> set[str]:
    names = {setting.name for setting in DECLARED}
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(READ.findall(path.read_text()))
    return names


def test_settings_read_their_variables_through_django_environ():
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "REDIS_URL"} <= variables_read()


def test_every_variable_is_in_the_configuration_guide():
    guide = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in variables_read() if f"`{name}`" not in guide)
    assert not missing, f"document these in docs/configuration.md: {missing}"


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    missing = sorted(name for name in variables_read() if not re.search(rf"^{name}=", example, re.M))
    assert not missing, f"list these in .env.example: {missing}"


def test_the_app_settings_are_all_read_from_the_environment():
    from django.conf import settings

    assert all(hasattr(settings, setting.name) for setting in DECLARED)
    assert len({setting.name for setting in DECLARED}) == len(DECLARED), "a name declared by two apps"


@pytest.mark.parametrize("setting", DECLARED, ids=lambda setting: setting.name)
def test_the_guide_gives_each_app_setting_its_declared_default_and_meaning(setting):
    guide = (ROOT / "docs" / "configuration.md").read_text()
    row = f"| `{setting.name}` | {setting.documented_default()} | {setting.doc} |"
    assert row in guide.splitlines(), f"docs/configuration.md should have the row:\n{row}"


@pytest.mark.parametrize("setting", DECLARED, ids=lambda setting: setting.name)
def test_env_example_shows_each_app_setting_with_its_default(setting):
    example = (ROOT / ".env.example").read_text()
    app = next(app for app in APPS if setting in app.declared())
    default = setting.kind.as_text(getattr(app.defaults(), setting.name))
    assert f"{setting.name}={default}" in example.splitlines()
