"""The event catalog in the OpenAPI document (a drf-spectacular postprocessing hook).

Each catalog event becomes an operation we send (a POST to the operator's endpoint) under the
top-level `x-webhooks`: the document is OpenAPI 3.0, which has no `webhooks` field (3.1 does, with
the same shape: rename the key when the document moves to 3.1). The catalog's schemas are JSON
Schema 2020-12 (`"type": ["integer", "null"]`, `const`); the 3.0 document gets them as 3.0 writes
them (`nullable`, a one-value `enum`).
"""

from __future__ import annotations

from webhooks import catalog

KEY = "x-webhooks"
HEADERS = [
    ("webhook-id", "The event's id (`evt_…`): the same on every retry and replay; deduplicate on it."),
    ("webhook-timestamp", "Seconds since the Unix epoch when this attempt was signed; refuse one more than "
                          "five minutes from your clock."),
    ("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">`, one per secret "
                          "in use (two for 24 hours after a rotation)."),
]


def add_webhooks(result, generator, request, public):
    """The hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result[KEY] = {event.type: {"post": operation(event)} for event in catalog.EVENTS}
    return result


def operation(event: catalog.EventType) -> dict:
    description = event.summary
    if event.planned:
        description += f"\n\n**Not sent yet**: {event.planned}."
    return {
        "operationId": "webhook_" + event.type.replace(".", "_"),
        "summary": event.type,
        "description": description,
        "tags": ["webhooks"],
        "parameters": [{"name": name, "in": "header", "required": True, "description": text,
                        "schema": {"type": "string"}} for name, text in HEADERS],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": as_openapi_30(catalog.envelope_schema(event)),
            "example": catalog.envelope_example(event)}}},
        "responses": {"2XX": {"description": "Received. Anything else is retried on the schedule (docs/events.md); "
                                             "410 disables the endpoint."}},
    }


def as_openapi_30(schema):
    """A JSON Schema 2020-12 fragment as an OpenAPI 3.0 Schema Object."""
    if isinstance(schema, list):
        return [as_openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: as_openapi_30(value) for key, value in schema.items()}
    kinds = out.get("type")
    if isinstance(kinds, list):
        others = [kind for kind in kinds if kind != "null"]
        if len(others) == 1:
            out["type"] = others[0]
        else:
            out.pop("type")
            out["oneOf"] = [{"type": kind} for kind in others]
        if "null" in kinds:
            out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "enum" in out and None in out["enum"]:
        out["nullable"] = True
    if "properties" in out:
        out["properties"] = {name: as_openapi_30(value) for name, value in schema["properties"].items()}
    return out
