"""No module uses another module's private name (`_name`): what two modules share has a public name in its home.

Static: every `from x import _y` (relative imports too) and every `module._y` on an imported module of ours,
in the apps (tests excluded: they may reach into what they test).
"""

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every package the layers contract knows (pyproject.toml), so a new app is checked as soon as it is layered.
APPS = (*tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"], "config")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_our_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".")[:len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def private_names_across_modules(path: Path) -> list[str]:
    """Each private name this file takes from another module, as "file:line: module._name"."""
    module = _module_name(path)
    found = []
    modules_bound = {}  # a local name bound to one of our modules -> that module
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(module, path, node)
            for alias in node.names:
                if _is_private(alias.name) and source != module:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {source}.{alias.name}")
                if _is_our_module(f"{source}.{alias.name}"):
                    modules_bound[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and _is_our_module(alias.name):
                    modules_bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _is_private(node.attr)
                and modules_bound.get(node.value.id, module) != module):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {modules_bound[node.value.id]}.{node.attr}")
    return found


def test_no_module_takes_another_modules_private_name():
    offenders = [found for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
                 for found in private_names_across_modules(path)]
    assert offenders == [], ("Give each a public name in its home module (or move it where it is used):\n"
                             + "\n".join(offenders))


def test_the_scan_sees_each_way_of_taking_a_private_name(tmp_path, monkeypatch):
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "prices.py").write_text("def _round(x):\n    return x\n\n\ndef _own():\n    return _round(1)\n")
    (package / "orders.py").write_text(
        "from shop.prices import _round\n"
        "from .prices import _round as rounded\n"
        "from shop import prices\n"
        "import shop.prices as p\n\n"
        "total = prices._round(1) + p._round(2) + prices.__name__.__len__()\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)

    assert private_names_across_modules(package / "prices.py") == []
    assert private_names_across_modules(package / "orders.py") == [
        "shop/orders.py:1: shop.prices._round",
        "shop/orders.py:2: shop.prices._round",
        "shop/orders.py:6: shop.prices._round",
        "shop/orders.py:6: shop.prices._round",
    ]
