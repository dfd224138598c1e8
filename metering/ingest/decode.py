"""Decoding request bodies into events with msgspec, one error per bad event.

A body is either one event object or `{"events": [...]}`. The outer document is
decoded once into raw fragments; each event is then decoded on its own, so one
malformed event is reported (index, field, reason) without losing the others.
A body that is not UTF-8, or nests deeper than Python's stack allows, is refused
as a whole (400 naming `body`); properties nested deeper than 64 levels are
refused per event (metering/ingest/validate.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from billing.api.content import NOT_UTF8, TOO_DEEP, BodyInvalid
from billing.errors import BillingError, ValidationFailed
from metering import conf

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    metric: Code
    idempotency_key: Key
    timestamp: datetime | float | None = None  # RFC 3339 with an offset, or Unix seconds; None = now
    value: Decimal | None = None
    properties: dict[str, Any] = {}
    account_id: int | None = None
    external_customer_id: ExternalId | None = None


class Rejection(msgspec.Struct):
    index: int
    field: str
    reason: str


class BatchTooLarge(BillingError):
    """Too many events in one request."""

    status = 413
    code = "batch_too_large"


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    events: list[EventIn]


# Each event's fields other than `properties` at their longest, with the JSON around them.
EVENT_FIELDS_BYTES = 2048


def max_body_bytes() -> int:
    """The largest usage body admitted (413 past it): a full batch whose every event carries the largest
    properties, even escaped as \\uXXXX (a non-ASCII character counts 2-4 bytes in the limit on
    properties, 6-12 in the body), and every other field at its longest."""
    return conf.settings.METERING_MAX_BATCH * (3 * conf.settings.METERING_MAX_PROPERTIES_BYTES + EVENT_FIELDS_BYTES)


_batch = msgspec.json.Decoder(BatchIn)
_outer = msgspec.json.Decoder(dict[str, msgspec.Raw])
_events = msgspec.json.Decoder(list[msgspec.Raw])
_event = msgspec.json.Decoder(EventIn)
_PATH = re.compile(r"at `\$\.(\w+)")
_UNKNOWN = re.compile(r"unknown field `(\w+)`")
_MISSING = re.compile(r"missing required field `(\w+)`")


def decode_body(body: bytes, *, max_batch: int) -> tuple[list[tuple[int, EventIn]], list[Rejection]]:
    """(index, event) for each well-formed event, and a rejection for each malformed one.

    Fast path: the whole batch in one typed decode. Only when some event is
    malformed are the events decoded one by one, to name each bad one.
    """
    # A NUL (which PostgreSQL cannot store) can only arrive escaped: one scan of the body, and the rare
    # body with one takes the slow path, where the event holding it is rejected naming the field.
    has_nul = b"\\u0000" in body
    if body[:1] == b"{" and b'"events"' in body[:64] and not has_nul:
        try:
            events = _batch.decode(body).events
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            pass  # some event is malformed: decoded one by one below, to name it
        else:
            if 0 < len(events) <= max_batch:
                return list(enumerate(events)), []
    try:
        body.decode("utf-8")  # JSON text is UTF-8: a body that is not is refused whole, not event by event
    except UnicodeDecodeError:
        raise BodyInvalid(NOT_UTF8) from None
    decoded, rejected = [], []
    for index, raw in enumerate(split_body(body, max_batch=max_batch)):
        event = decode_event(index, raw)
        if has_nul and isinstance(event, EventIn):
            event = _without_nul(index, event)
        if isinstance(event, Rejection):
            rejected.append(event)
        else:
            decoded.append((index, event))
    return decoded, rejected


def split_body(body: bytes, *, max_batch: int) -> list[msgspec.Raw]:
    """The raw event fragments of a body; a malformed body fails as a whole (400)."""
    try:
        outer = _outer.decode(body)
    except msgspec.DecodeError as exc:
        raise ValidationFailed({"body": f"Not a JSON object: {exc}"}) from None
    except RecursionError:
        raise BodyInvalid(TOO_DEEP) from None
    if "events" not in outer:
        return [msgspec.Raw(body)]
    if len(outer) != 1:
        extra = sorted(set(outer) - {"events"})
        raise ValidationFailed({extra[0]: "Unknown field; send {\"events\": [...]} or one event."})
    try:
        events = _events.decode(outer["events"])
    except (msgspec.DecodeError, RecursionError):
        raise ValidationFailed({"events": "Must be a list of event objects."}) from None
    if not events:
        raise ValidationFailed({"events": "Send at least one event."})
    if len(events) > max_batch:
        raise BatchTooLarge(f"At most {max_batch} events per request; this one has {len(events)}.",
                            fields={"events": [f"At most {max_batch} events per request."]})
    return events


def decode_event(index: int, raw: msgspec.Raw | bytes) -> EventIn | Rejection:
    try:
        return _event.decode(raw)
    except msgspec.ValidationError as exc:
        return Rejection(index=index, field=_field_of(str(exc)), reason=str(exc).split(" - at ")[0])
    except msgspec.DecodeError:
        return Rejection(index=index, field="event", reason="Not a JSON object.")
    except RecursionError:
        return Rejection(index=index, field="event", reason=TOO_DEEP)
    except UnicodeDecodeError:  # a line of an uploaded file (a request body is refused whole first)
        return Rejection(index=index, field="event", reason=NOT_UTF8)


def _without_nul(index: int, event: EventIn) -> EventIn | Rejection:
    """The event, or its rejection when a text field the lookups use holds a NUL (its properties are
    checked with the rest of them, metering/ingest/validate.py)."""
    for field in ("metric", "idempotency_key", "external_customer_id"):
        if "\x00" in (getattr(event, field) or ""):
            return Rejection(index=index, field=field, reason="Must not contain a NUL character.")
    return event


def _field_of(message: str) -> str:
    for pattern in (_PATH, _UNKNOWN, _MISSING):
        match = pattern.search(message)
        if match:
            return match.group(1)
    return "event"
