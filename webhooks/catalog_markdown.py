"""The catalog section of docs/events.md, written from webhooks/catalog.py (`manage.py events_catalog --write`);
tests/webhooks/test_event_catalog.py fails when the page and the catalog differ."""

from __future__ import annotations

import json
from pathlib import Path

from webhooks import catalog

START = "<!-- catalog:start (written by `manage.py events_catalog --write`; edit webhooks/catalog.py) -->"
END = "<!-- catalog:end -->"


def catalog_markdown() -> str:
    lines = ["| type | about (`data` key) | what happened |", "|---|---|---|"]
    for event in catalog.EVENTS:
        when = f" **Not sent yet**: {event.planned}." if event.planned else ""
        lines.append(f"| `{event.type}` | {event.object} (`{event.object_key}`) | {event.summary}{when} |")
    shapes: dict[int, list[catalog.EventType]] = {}
    for event in catalog.EVENTS:  # the events that share a `data` schema, described once
        shapes.setdefault(id(event.data), []).append(event)
    for events in shapes.values():
        data = events[0].data
        lines += ["", "### " + ", ".join(f"`{event.type}`" for event in events), "",
                  "| `data` key | type | always |", "|---|---|---|"]
        lines += [f"| `{name}` | {_kind(schema)} | {'yes' if name in data['required'] else ''} |"
                  for name, schema in data["properties"].items()]
        for event in events:
            lines += ["", f"`{event.type}`:", "", "```json", json.dumps(catalog.envelope_example(event)), "```"]
    return "\n".join(lines) + "\n"


def _kind(schema: dict) -> str:
    if "enum" in schema:
        return " or ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = {"integer": "integer", "string": "string", "boolean": "boolean", "null": "null", "object": "object",
             "array": "array", "number": "number"}
    text = " or ".join(words.get(kind, kind) for kind in kinds)
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("description", "").startswith("Minor units"):
        text += " (minor units)"
    return text


def page_section(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index(START) + len(START) + 1:text.index(END)]


def page_write(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    before, after = text[:text.index(START) + len(START)], text[text.index(END):]
    page.write_text(f"{before}\n{catalog_markdown()}{after}", encoding="utf-8")
