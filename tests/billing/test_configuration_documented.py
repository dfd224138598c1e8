"""Every environment variable the settings read is documented and listed in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""env(?:\.(?:str|bool|int|list|path|float|json|url|db_url))?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def variables_read() -> set[str]:
    names = set()
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
