"""No Python file in the apps is over 600 lines: past that, a module holds more than one noun (split it by noun)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every package the layers contract knows (pyproject.toml), so a new app is checked as soon as it is layered.
APPS = (*tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"], "config")
MAX_LINES = 600


def test_no_file_over_600_lines():
    files = [path for app in APPS for path in (ROOT / app).rglob("*.py")]
    assert len(files) > 100  # the walk finds the apps
    too_long = {str(path.relative_to(ROOT)): lines for path in files
                if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}
