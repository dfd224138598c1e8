"""The event catalog in the OpenAPI document (a drf-spectacular postprocessing hook).

Each catalog event becomes an operation we send (a POST to the operator's endpoint) under the
document's top-level `webhooks` (OpenAPI 3.1). The catalog's schemas are JSON Schema 2020-12, the
dialect of 3.1's Schema Object, so they go in as they are.
"""

from __future__ import annotations

from webhooks import catalog

KEY = "webhooks"
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
            "schema": catalog.envelope_schema(event),
            "example": catalog.envelope_example(event)}}},
        "responses": {"2XX": {"description": "Received. Anything else is retried on the schedule (docs/events.md); "
                                             "410 disables the endpoint."}},
    }
