"""Recording audit entries in the same transaction as the change they describe."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import msgspec
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict

from billing.context import audit_reason, current_actor, request_id
from billing.models import AuditEntry

_encode = msgspec.json.Encoder().encode
AUDIT_COLUMNS = ["account_id", "actor_type", "actor_id", "actor_label", "action", "object_type", "object_id",
                 "before", "after", "ip_address", "request_id", "reason"]


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of a model instance for `before` / `after`."""
    plain = _plain_fields(type(instance)) if fields is None else None
    if plain is not None:  # what model_to_dict gives, without its per-call walk over the model's options
        data = {name: getattr(instance, attname) for name, attname in plain}
    else:
        data = model_to_dict(instance, fields=fields)
    data["id"] = instance.pk
    return _json_safe(data)


_PLAIN_FIELDS: dict[type, tuple | None] = {}


def _plain_fields(model: type) -> tuple | None:
    """(name, attname) of the fields model_to_dict reads, when each is a concrete field whose value is
    its attribute (no many-to-many or private field, no field reading its value otherwise, such as a
    file field: those take model_to_dict itself)."""
    if model not in _PLAIN_FIELDS:
        opts = model._meta
        if any(getattr(f, "editable", False) for f in (*opts.private_fields, *opts.many_to_many)) or any(
                type(f).value_from_object is not models.Field.value_from_object for f in opts.concrete_fields):
            _PLAIN_FIELDS[model] = None
        else:
            _PLAIN_FIELDS[model] = tuple((f.name, f.attname) for f in opts.concrete_fields
                                         if getattr(f, "editable", False))
    return _PLAIN_FIELDS[model]


def _json_safe(value: Any) -> Any:
    """What a JSON round trip with DjangoJSONEncoder gives (`json.loads(json.dumps(value, cls=...))`),
    built directly for the usual values (bulk jobs make tens of thousands of these); anything
    unusual (a non-string key, an unknown type) takes the round trip itself."""
    try:
        return _plain(value)
    except _Unusual:
        import json

        return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


class _Unusual(Exception):
    pass


class _Safe(dict):
    """A dict `_json_safe` built (every value in it JSON-safe already): passing it through again, as a
    snapshot passed on as an audit entry's `before` is, returns it as it is instead of walking it twice.
    Copies (`{**safe, ...}`) are plain dicts again, and walked."""


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is _Safe:
        return value
    if kind is dict:
        out = _Safe()
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            inner = type(item)
            out[key] = item if inner is str or inner is int or inner is bool or item is None else _plain(item)
        return out
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if kind is datetime.datetime:
        text = value.isoformat()
        if value.microsecond:
            text = text[:23] + text[26:]
        if text.endswith("+00:00"):
            text = text[:-6] + "Z"
        return text
    if kind is datetime.date:
        return value.isoformat()
    if kind is decimal.Decimal or kind is uuid.UUID:
        return str(value)
    if isinstance(value, str):  # choices: the string itself
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise _Unusual  # floats (NaN, precision), times, durations, lazy strings: the round trip decides


def snapshot_changed(picture: dict, **changes) -> dict:
    """A `snapshot` with some fields changed since (the picture after a change that touched only those),
    as JSON-safe as the snapshot itself, without taking or walking a second one."""
    after = _Safe(_json_safe(picture))  # a snapshot passes as it is; anything else is made safe first
    for name, value in changes.items():
        after[name] = _json_safe(value)
    return after


def json_text(value: Any) -> str | None:
    """The JSON text of `value` as stored by a JSONField after `_json_safe` (None stays SQL NULL)."""
    if value is None:
        return None
    return _encode(_json_safe(value)).decode()


def audit_record(
    *,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    account_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one audit entry. Call it inside the transaction of the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or instance.pk
        if account_id is None:
            account_id = getattr(instance, "account_id", None)
    actor = current_actor()
    return AuditEntry.objects.create(
        account_id=account_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        ip_address=actor.ip_address,
        request_id=request_id(),
        reason=audit_reason(),
    )


def audit_record_many(entries: list[dict]) -> None:
    """Several audit entries in one statement, for set-based jobs (a bill-run chunk).

    Each item takes `audit_record`'s keyword arguments (an `instance`, or `object_type` and
    `object_id`); the entries are the ones `audit_record` would write one by one, inside the
    caller's transaction, written as plain rows (`rows_copy`) without model instances.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the transaction of the change it records")
    actor, rid, reason = current_actor(), request_id(), audit_reason()
    rows = []
    for entry in entries:
        instance = entry.get("instance")
        object_type, object_id = entry.get("object_type", ""), entry.get("object_id", "")
        account_id = entry.get("account_id")
        if instance is not None:
            object_type = object_type or instance._meta.label_lower
            object_id = object_id or instance.pk
            if account_id is None:
                account_id = getattr(instance, "account_id", None)
        rows.append((account_id, str(actor.type), str(actor.id), str(actor.label), entry["action"], object_type, str(object_id),
                     json_text(entry.get("before")), json_text(entry.get("after")), actor.ip_address, rid, reason))
    from billing.rows import rows_copy

    rows_copy(AuditEntry, AUDIT_COLUMNS, rows)
