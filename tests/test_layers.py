"""The layers contract (pyproject.toml, [tool.importlinter]; docs/architecture.md, "Layers") holds, bites,
and covers every app.

The contract is import-linter's: `lint-imports` runs it by hand, these tests run it in make test.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
# Top-level packages that are not in the layers on purpose: settings and wiring, and the tests.
OUTSIDE_THE_LAYERS = {"config", "tests"}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(command), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "200"},
    )


def _broken_contracts(output: str) -> str:
    """The part of lint-imports' report that names each wrong-way import and its line."""
    _, found, rest = output.partition("Broken contracts")
    return found + rest if found else output


def _layers() -> list[str]:
    """Every app of the layers, those sharing a layer (`"analytics | exports"`: siblings) one by one."""
    (contract,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    return [app.strip() for layer in contract["layers"] for app in layer.split("|")]


def test_imports_follow_the_layers():
    result = _lint_imports(ROOT)
    if result.returncode != 0:
        pytest.fail("An import runs the wrong way (an app may import only the apps below it: "
                    "docs/architecture.md, \"Layers\"):\n" + _broken_contracts(result.stdout + result.stderr),
                    pytrace=False)


def test_a_wrong_way_import_is_reported(tmp_path):
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "pricing" / "wrong_way.py").write_text("from invoicing.models import Invoice\nimport django.db\n")
    with (tmp_path / "billing" / "clock.py").open("a") as kernel_module:
        kernel_module.write("\nfrom billing.services.catalog import plan_create  # noqa\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    report = _broken_contracts(result.stdout)
    assert "pricing is not allowed to import invoicing" in report
    assert "pricing.wrong_way -> invoicing.models (l.1)" in report
    assert "pricing is not allowed to import django" in report
    assert "billing.clock is not allowed to import billing.services.catalog" in report


def test_every_app_is_in_a_layer():
    ours = {path.parent.name for path in ROOT.glob("*/__init__.py")} - OUTSIDE_THE_LAYERS
    assert set(CONFIG["root_packages"]) == ours, "a top-level package the contract does not analyse"
    apps = {app for app in settings.INSTALLED_APPS if (ROOT / app / "__init__.py").exists()}
    # pricing has no models, so it is no Django app; it is the bottom layer.
    assert set(_layers()) == apps | {"pricing"}, "an installed app in no layer, or a layer that is no app"
    assert _layers()[-1] == "pricing"
