"""No two service modules import each other (at the top or inside a function): what both need lives where it
belongs, and a module that must hear of another's change registers a reaction (billing.transitions.on_transition)
or an outbox handler instead of being called by it."""

import ast
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("billing", "invoicing", "metering", "payments", "webhooks")


def _service_modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app / "services").glob("*.py"):
            found[f"{app}.services" if path.stem == "__init__" else f"{app}.services.{path.stem}"] = path
    return found


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                if target in modules and target != name:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules and alias.name != name}
    return found


def test_no_two_service_modules_import_each_other():
    modules = _service_modules()
    assert {"payments.services.charging", "payments.services.dunning"} <= set(modules)
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["payments.services.dunning"] >= {"payments.services.charging"}  # the scan sees imports
    mutual = [(a, b) for a, b in combinations(sorted(graph), 2) if b in graph[a] and a in graph[b]]
    assert mutual == []
