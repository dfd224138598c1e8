"""pricing/ is the bottom layer: it imports nothing from Django or our apps, and metering, below invoicing,
imports nothing from invoicing (at the top of a module or inside a function)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = {"billing", "config", "invoicing", "metering", "payments"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
    return roots


def test_no_pricing_module_imports_django_or_an_app():
    offending = {path.name: sorted(_imported_roots(path) & (OUR_APPS | {"django", "rest_framework"}))
                 for path in (ROOT / "pricing").glob("*.py")}
    assert {name: found for name, found in offending.items() if found} == {}


def test_importing_pricing_loads_neither_django_nor_an_app():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, pricing; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(set(loaded) & (OUR_APPS | {"django"})) == []


def test_metering_imports_nothing_from_invoicing():
    importing = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "metering").rglob("*.py")
                       if "invoicing" in _imported_roots(path))
    assert importing == []
